// `iceberg campaign`: generated zones against several engines, discrepancies summarised per engine
// and RFC clause, each group's smallest zone written out for reproduction.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "commands.h"
#include "core/progress.h"
#include "iceberg/campaign.h"
#include "iceberg/engine.h"

namespace llms::iceberg::cli {

namespace {
struct CampaignArgs {
  CampaignOptions options;
  std::string engines = fmt::format("{}", fmt::join(EngineNames(), ",")), json, out;
  bool quiet = false;
};
}  // namespace

void RegisterCampaign(CLI::App& root, CliAction& action) {
  auto* app = root.add_subcommand(
      "campaign", "generated zones against several engines, discrepancies per engine and clause");
  app->footer(R"(Examples:
  iceberg campaign --engines nsd,knot,bind,pdns,gdnsd,yadifa --zones 200 --seed 1 --out /tmp/findings
  iceberg campaign --engines knot --zones 20 --seed 7 --json /tmp/knot.json
Zone i is generated from seed S+i (the same zone on every machine). Each group of discrepancies
(engine, RFC clause, differing fields) keeps its smallest zone, then removes records from it one
at a time while the engine still differs the same way (restarting the engine each time); --out
writes those zones as zone-SEED.db, which `iceberg check --zone` reproduces.)");
  auto a = std::make_shared<CampaignArgs>();
  app->add_option("--engines", a->engines,
                  fmt::format("comma-separated: {} (default all; gdnsd and yadifa check each "
                              "zone without its DNAME records, which they cannot load)",
                              fmt::join(EngineNames(), ", ")));
  app->add_option("--zones", a->options.zones, "zones to generate (default 200)")
      ->check(CLI::PositiveNumber);
  app->add_option("--seed", a->options.seed, "the first zone's seed (default 1)");
  app->add_option("--names", a->options.names, "names per generated zone (default 12)")
      ->check(CLI::PositiveNumber);
  app->add_flag("!--no-star-targets", a->options.star_in_targets,
                "no '*' label inside target names (YADIFA refuses zones with them; the zones of "
                "a seed differ from the default ones)");
  app->add_option("--json", a->json, "write the report as JSON here");
  app->add_option("--out", a->out, "write each group's smallest zone into this directory");
  app->add_flag("-q,--quiet", a->quiet, "no progress bar");
  app->add_flag("!--no-minimize", a->options.minimize,
                "keep each group's zone whole instead of shrinking it to what the discrepancy "
                "needs");
  app->callback([a, &action] {
    action = [a]() -> int {
      CampaignOptions o = a->options;
      o.engines.clear();
      std::stringstream list(a->engines);
      for (std::string e; std::getline(list, e, ',');) {
        if (!e.empty()) o.engines.push_back(e);
      }
      ProgressBar bar("zones", o.zones, !a->quiet && ProgressBar::StderrIsTerminal());
      o.progress = [&bar](int done, int) { bar.Update(done); };
      auto report = RunCampaign(o);
      bar.Finish();
      if (!report.ok()) return CliError("iceberg", report.message());
      fmt::print("{}", CampaignToText(*report));
      if (!a->out.empty()) {
        std::filesystem::create_directories(a->out);
        for (const FindingGroup& f : report->findings) {
          std::ofstream(fmt::format("{}/zone-{}.db", a->out, f.zone_seed)) << f.zone_text;
        }
      }
      if (!a->json.empty()) {
        std::ofstream out(a->json);
        out << CampaignToJson(*report) << "\n";
        if (!out) return CliError("iceberg", "cannot write " + a->json);
      }
      return 0;
    };
  });
}

}  // namespace llms::iceberg::cli
