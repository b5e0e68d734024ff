// `iceberg classes`: the zone's query equivalence classes, one representative query per line.
#include <fmt/format.h>

#include <memory>

#include "commands.h"
#include "dns/record.h"
#include "iceberg/classes.h"
#include "zone_options.h"

namespace llms::iceberg::cli {

namespace {
struct ClassesArgs {
  ZoneOptions zone;
  bool signatures = false;
};
}  // namespace

void RegisterClasses(CLI::App& root, CliAction& action) {
  auto* app = root.add_subcommand(
      "classes", "the zone's query equivalence classes: one representative query per behaviour");
  app->footer(R"(Examples:
  iceberg classes --zone example.zone --origin example.
  iceberg classes --zone example.zone --origin example. --signatures
Each line is "NAME TYPE"; with --signatures, the decisions the specification takes for it follow.
docs/iceberg.md explains why the set covers every query name of any length.)");
  auto a = std::make_shared<ClassesArgs>();
  a->zone.Register(app);
  a->zone.RegisterProfile(app);
  app->add_flag("--signatures", a->signatures, "print each class's decision signature");
  app->callback([a, &action] {
    action = [a]() -> int {
      auto zone = a->zone.Load();
      if (!zone.ok()) return CliError("iceberg", zone.message());
      const ZoneIndex index(zone->origin, zone->records);
      const auto classes = Classes(index, a->zone.profile);
      for (const QueryClass& c : classes) {
        fmt::print("{} {}", c.query.name.ToString(), dns::TypeName(c.query.type));
        if (a->signatures) fmt::print("  {}", c.signature);
        fmt::print("\n");
      }
      fmt::print(stderr, "iceberg: {} classes for {} records\n", classes.size(),
                 zone->records.size());
      return 0;
    };
  });
}

}  // namespace llms::iceberg::cli
