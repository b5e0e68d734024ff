// `iceberg generate`: a random well-formed zone (the campaigns' generator) as a master file.
#include <fmt/format.h>

#include <fstream>
#include <memory>

#include "commands.h"
#include "iceberg/zone_generator.h"

namespace llms::iceberg::cli {

namespace {
struct GenerateArgs {
  uint64_t seed = 1;
  int names = 12;
  bool star_in_targets = true;
  std::string output;
};
}  // namespace

void RegisterGenerate(CLI::App& root, CliAction& action) {
  auto* app = root.add_subcommand(
      "generate",
      "a random well-formed zone: delegations with glue, wildcards, DNAME, CNAME "
      "chains, empty non-terminals, MX/SRV targets in and out of the zone");
  app->footer(R"(Examples:
  iceberg generate --seed 7 --output /tmp/z7.db
  iceberg generate --seed 1 --names 5000 --output /tmp/big.db
The zone's apex is example.; the same seed gives the same zone on every machine.)");
  auto a = std::make_shared<GenerateArgs>();
  app->add_option("--seed", a->seed, "the zone's seed (default 1)");
  app->add_option("--names", a->names, "names under the apex (default 12)")
      ->check(CLI::PositiveNumber);
  app->add_flag("!--no-star-targets", a->star_in_targets,
                "no '*' label inside target names (YADIFA refuses zones with them; the zone of a "
                "seed differs from the default one)");
  app->add_option("-o,--output", a->output, "write the zone here (default: stdout)");
  app->callback([a, &action] {
    action = [a]() -> int {
      GeneratorOptions o;
      o.names = a->names;
      o.star_in_targets = a->star_in_targets;
      const std::string text = dns::ZoneToText(GenerateZone(a->seed, o));
      if (a->output.empty()) {
        fmt::print("{}", text);
        return 0;
      }
      std::ofstream out(a->output);
      out << text;
      if (!out) return CliError("iceberg", "cannot write " + a->output);
      return 0;
    };
  });
}

}  // namespace llms::iceberg::cli
