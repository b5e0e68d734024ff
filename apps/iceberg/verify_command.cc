// `iceberg verify`: an engine's own code (Knot DNS, built from Debian's source or a user's tree)
// executed symbolically on the zone with the query unknown, every path compared with the
// specification; the verdict with the scope it holds for.
#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <thread>

#include "commands.h"
#include "iceberg/engine.h"
#include "iceberg/verify/verifier.h"
#include "zone_options.h"

namespace llms::iceberg::cli {

namespace {
struct VerifyArgs {
  ZoneOptions zone;
  VerifyOptions options;
  std::string json;
  bool quiet = false, no_live = false;
};
}  // namespace

void RegisterVerify(CLI::App& root, CliAction& action) {
  auto* app = root.add_subcommand(
      "verify",
      "prove an engine's own code answers every query in scope as the specification does, or "
      "give confirmed counterexamples");
  app->footer(R"(Examples:
  iceberg verify --zone example.zone --origin example. --engine knot
  iceberg verify --zone example.zone --origin example. --engine knot --max-labels 3 --json /tmp/v.json
  apt-get source knot && patch -p1 -d knot-3.2.6 < my.patch
  iceberg verify --zone example.zone --origin example. --engine knot --source knot-3.2.6

Knot's code (Debian's knot source package, or the tree --source names) is compiled with clang-15
to LLVM bitcode by scripts/knot_bitcode.sh (cached per tree), the zone is loaded by Knot's own
loader inside the symbolic executor, and the query (every octet of its name's labels and its
type) is symbolic. The scope line printed with the verdict says exactly which queries the claim
covers. Counterexamples are confirmed on the native build of the same tree and, for Debian's
tree, on the live knotd. Exit status: 0 proven; 2 counterexamples; 1 an error, or something
that could not be decided (never reported as proven).)");
  auto a = std::make_shared<VerifyArgs>();
  a->zone.Register(app);
  a->zone.RegisterProfile(app);
  app->add_option("--engine", a->options.engine, "the engine whose code is verified (knot)")
      ->check(CLI::IsMember({"knot"}))
      ->default_val("knot");
  app->add_option("--max-labels", a->options.max_labels, "query names of at most this many labels")
      ->check(CLI::Range(0, 127))
      ->default_val(4);
  app->add_option("--source", a->options.source,
                  "the engine's source tree (a fork, a patched copy; default: Debian's source "
                  "package, fetched and cached by scripts/engine_source.sh)");
  app->add_option("--solver-timeout", a->options.solver_timeout_ms,
                  "milliseconds per solver call; a timeout makes the verdict undecided")
      ->default_val(10000);
  app->add_option("--max-counterexamples", a->options.max_counterexamples,
                  "counterexamples reported in full (all are counted)")
      ->default_val(10);
  a->options.jobs = std::max(1u, std::thread::hardware_concurrency());
  app->add_option(
         "--jobs", a->options.jobs,
         "workers on threads of their own, each with its executor and a copy of the "
         "loaded zone (about 0.5 GB each); the verdict does not depend on their number (the "
         "statistics and which query of a cell is shown may)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app->add_flag("--no-live", a->no_live,
                "do not confirm counterexamples on the live engine (the native build still "
                "confirms them)");
  app->add_option("--json", a->json, "write the report as JSON here");
  app->add_flag("--quiet", a->quiet, "no progress lines on stderr");
  app->callback([a, &action] {
    action = [a]() -> int {
      a->zone.profile = EngineProfile(a->options.engine);
      auto zone = a->zone.Load();
      if (!zone.ok()) return CliError("iceberg", zone.message());
      VerifyOptions o = a->options;
      o.profile = a->zone.profile;
      o.zone_file = a->zone.zone_file;
      o.live = !a->no_live;
      if (!a->quiet) o.progress = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };
      auto report = Verify(*zone, o);
      if (!report.ok()) return CliError("iceberg", report.message());
      fmt::print("{}", VerifyReportToText(*report));
      if (!a->json.empty()) {
        std::ofstream out(a->json);
        out << VerifyReportToJson(*report) << "\n";
        if (!out) return CliError("iceberg", "cannot write " + a->json);
      }
      switch (report->verdict) {
        case VerifyReport::Verdict::kProven:
          return 0;
        case VerifyReport::Verdict::kCounterexamples:
          return 2;
        case VerifyReport::Verdict::kUndecided:
          return 1;
      }
      return 1;
    };
  });
}

}  // namespace llms::iceberg::cli
