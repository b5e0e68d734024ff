// `iceberg serve`: starts one real engine on a zone, as `iceberg check` does, and keeps it running
// until interrupted, so the `dig` commands a check printed can be run against it.
#include <fmt/format.h>

#include <csignal>
#include <filesystem>
#include <memory>

#include "commands.h"
#include "engine_options.h"
#include "iceberg/engine.h"
#include "zone_options.h"

namespace llms::iceberg::cli {
namespace {

struct ServeArgs {
  ZoneOptions zone;
  std::string engine, workdir;
  uint16_t port = 0;
};

}  // namespace

void RegisterServe(CLI::App& parent, CliAction& action) {
  CLI::App* app = parent.add_subcommand(
      "serve", "start a real engine on the zone and keep it running until Ctrl-C (or SIGTERM)");
  app->footer(R"(Examples:
  iceberg serve --zone example.zone --origin example. --engine nsd --port 5353
  dig @127.0.0.1 -p 5353 +norec +nocookie www.example. A
The engine runs on 127.0.0.1 with the configuration `iceberg check` gives it, from a working
directory of its own (removed when it stops unless --workdir names one). Use the port a check's
report printed to run its `dig` commands as they stand.)");
  auto a = std::make_shared<ServeArgs>();
  a->zone.Register(app);
  AddEngineOption(app, &a->engine);
  app->add_option("--port", a->port, "the UDP and TCP port on 127.0.0.1 (default: a free one)");
  app->add_option("--workdir", a->workdir,
                  "the engine's working directory, kept (default: a new one under /tmp, removed)");
  app->callback([a, &action] {
    action = [a]() -> int {
      auto zone = a->zone.Load();
      if (!zone.ok()) return CliError("iceberg", zone.message());
      const bool keep = !a->workdir.empty();
      const std::string dir = keep ? a->workdir : TempWorkdir("serve", a->engine);
      // Block the stop signals before starting so that none is lost; sigwait takes them.
      sigset_t stop;
      sigemptyset(&stop);
      sigaddset(&stop, SIGINT);
      sigaddset(&stop, SIGTERM);
      pthread_sigmask(SIG_BLOCK, &stop, nullptr);
      {
        auto engine = EngineProcess::Start(a->engine, *zone, dir, 15, a->port);
        if (!engine.ok()) return CliError("iceberg", engine.message());
        fmt::print(stderr,
                   "iceberg serve: {} ({}) serves {} on 127.0.0.1 port {} from {}; Ctrl-C stops "
                   "it\n  dig @127.0.0.1 -p {} +norec +nocookie {} SOA\n",
                   a->engine, (*engine)->version(), zone->origin.ToString(), (*engine)->port(), dir,
                   (*engine)->port(), zone->origin.ToString());
        int signal = 0;
        sigwait(&stop, &signal);
        fmt::print(stderr, "iceberg serve: stopping {}\n", a->engine);
      }
      if (!keep) std::filesystem::remove_all(dir);
      return 0;
    };
  });
}

}  // namespace llms::iceberg::cli
