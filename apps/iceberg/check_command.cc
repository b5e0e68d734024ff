// `iceberg check`: a real engine started on the zone, every representative query sent to it, and
// each difference from the specification reported with its RFC clauses and a dig command.
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>

#include "commands.h"
#include "engine_options.h"
#include "iceberg/checker.h"
#include "iceberg/classes.h"
#include "iceberg/engine.h"
#include "zone_options.h"

namespace llms::iceberg::cli {

namespace {
struct CheckArgs {
  ZoneOptions zone;
  std::string engine, json, workdir;
  bool keep = false;
  uint16_t port = 0;
};
}  // namespace

void RegisterCheck(CLI::App& root, CliAction& action) {
  auto* app = root.add_subcommand(
      "check", "start a real engine on the zone and compare its answers with the specification");
  app->footer(R"(Examples:
  iceberg check --zone example.zone --origin example. --engine nsd
  iceberg check --zone example.zone --origin example. --engine bind --json /tmp/bind.json
The engine runs on 127.0.0.1 on a free port from a working directory of its own. The profile is
the engine's documented defaults (docs/iceberg.md); profile flags override it. Exit status: 0 when
the engine agrees with the specification on every class, 2 when it does not, 1 on errors.)");
  auto a = std::make_shared<CheckArgs>();
  a->zone.Register(app);
  a->zone.RegisterProfile(app);
  AddEngineOption(app, &a->engine);
  app->add_option("--json", a->json, "write the report as JSON here");
  app->add_option("--workdir", a->workdir,
                  "the engine's working directory (default: a new one under /tmp)");
  app->add_flag("--keep", a->keep, "keep the working directory (config, zone, engine log)");
  app->add_option("--port", a->port,
                  "run the engine on this port of 127.0.0.1 (default: a free one)");
  app->callback([a, &action] {
    action = [a]() -> int {
      const auto start = std::chrono::steady_clock::now();
      // The engine's own choices unless profile flags say otherwise.
      a->zone.profile = EngineProfile(a->engine);
      auto zone = a->zone.Load();
      if (!zone.ok()) return CliError("iceberg", zone.message());
      const std::string dir = a->workdir.empty() ? TempWorkdir("check", a->engine) : a->workdir;
      const ZoneIndex index(zone->origin, zone->records);
      const auto classes = Classes(index, a->zone.profile);
      CheckReport report;
      uint16_t port = 0;
      {
        auto engine = EngineProcess::Start(a->engine, *zone, dir, 15, a->port);
        if (!engine.ok()) return CliError("iceberg", engine.message());
        port = (*engine)->port();
        report = CheckEngine(index, classes, port, a->zone.profile);
        report.engine = a->engine;
        report.version = (*engine)->version();
      }
      if (!a->keep) std::filesystem::remove_all(dir);
      report.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      fmt::print("{}", ReportToText(report));
      if (!report.discrepancies.empty()) {
        // The engine stopped with the check: say how to bring it back for the dig commands.
        fmt::print(
            "\nThe engine stopped with the check; to run the dig commands above, start it again "
            "on the same port:\n  iceberg serve --zone {} --origin {} --engine {} --port {}\n",
            a->zone.zone_file, zone->origin.ToString(), a->engine, port);
      }
      if (!a->json.empty()) {
        std::ofstream out(a->json);
        out << ReportToJson(report) << "\n";
        if (!out) return CliError("iceberg", "cannot write " + a->json);
      }
      return report.discrepancies.empty() ? 0 : 2;
    };
  });
}

}  // namespace llms::iceberg::cli
