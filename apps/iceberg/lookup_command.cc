// `iceberg lookup`: the specification's answer to one query, in dig-like text, with the RFC
// clauses that produced it.
#include <fmt/format.h>

#include <memory>

#include "commands.h"
#include "iceberg/spec.h"
#include "zone_options.h"

namespace llms::iceberg::cli {

namespace {
struct LookupArgs {
  ZoneOptions zone;
  std::string name, type = "A";
  bool quiet = false;
};
}  // namespace

void RegisterLookup(CLI::App& root, CliAction& action) {
  auto* app = root.add_subcommand("lookup", "the specification's answer to one query");
  app->footer(R"(Examples:
  iceberg lookup --zone example.zone --origin example. --name www.example. --type A
  iceberg lookup --zone example.zone --origin example. --name x.y.example. --type MX --minimal
The answer is printed like dig's, followed by the RFC clauses applied (";; rule:" lines).)");
  auto a = std::make_shared<LookupArgs>();
  a->zone.Register(app);
  a->zone.RegisterProfile(app);
  app->add_option("--name", a->name, "the query name (relative names take --origin)")->required();
  app->add_option("--type", a->type, "the query type: A, AAAA, MX, ..., TYPEnnn (default A)");
  app->add_flag("-q,--quiet", a->quiet, "leave out the rules");
  app->callback([a, &action] {
    action = [a]() -> int {
      auto zone = a->zone.Load();
      if (!zone.ok()) return CliError("iceberg", zone.message());
      dns::Question q;
      auto name = dns::Name::Parse(a->name, zone->origin);
      if (!name.ok()) return CliError("iceberg", "--name: " + name.message());
      auto type = dns::ParseType(a->type);
      if (!type.ok()) return CliError("iceberg", "--type: " + type.message());
      q.name = *name;
      q.type = *type;
      const ZoneIndex index(zone->origin, zone->records);
      const Response r = Lookup(index, q, a->zone.profile);
      fmt::print("{}", ResponseToText(q, r));
      if (!a->quiet) {
        fmt::print("\n");
        for (const iceberg::SpecRule& rule : r.rules) fmt::print(";; rule: {}\n", rule.text);
      }
      return 0;
    };
  });
}

}  // namespace llms::iceberg::cli
