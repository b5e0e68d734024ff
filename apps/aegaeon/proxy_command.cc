// `aegaeon proxy` implementation: options, the membership view, then the proxy until a signal.
#include "proxy_command.h"

#include <fmt/format.h>

#include <cstdlib>
#include <memory>

#include "cluster/membership.h"
#include "cluster/proxy.h"
#include "cluster_options.h"
#include "errors.h"

namespace llms::aegaeon::cli {

void RegisterProxy(CLI::App& root, std::function<int()>& action) {
  auto* app = root.add_subcommand(
      "proxy",
      "route OpenAI API requests over the nodes of a cluster (aegaeon serve --cluster), "
      "coordinated through Redis");
  app->footer(R"(Examples:
  redis-server --port 6379 &
  aegaeon serve --port 8001 --model a=/tmp/a.gguf --cluster redis://127.0.0.1:6379 --node n1 &
  aegaeon serve --port 8002 --model b=/tmp/b.gguf --cluster redis://127.0.0.1:6379 --node n2 &
  aegaeon proxy --cluster redis://127.0.0.1:6379 --port 8000
  curl http://127.0.0.1:8000/v1/models      # the union of the nodes' models
Any number of proxies may run side by side: each reads the membership from Redis (every quarter
of the lease) and keeps nothing another needs. A request goes to a live node serving its model,
preferring one where the model is resident and its queue is short; a node that cannot be reached
or is draining before it answered passes the request to another; a node lost mid-answer ends a
stream with an error event (no [DONE]) and a whole request with 502. docs/cluster.md has the rest.)");
  struct Args {
    ClusterArgs cluster;
    cluster::ProxyOptions proxy;
    int port = 8000;
  };
  auto a = std::make_shared<Args>();
  AddClusterOptions(app, &a->cluster, "the Redis server the nodes register in (redis://HOST:PORT)")
      ->required();
  app->add_option("--host", a->proxy.host, "address to bind (default 127.0.0.1)");
  app->add_option("--port", a->port, "port (default 8000; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  app->add_option("--port-file", a->proxy.port_file,
                  "write the bound port there once serving (scripts, tests)");
  app->add_option("--api-key", a->proxy.api_key,
                  "require 'Authorization: Bearer KEY' on /v1/* (default: $AEGAEON_API_KEY); the "
                  "header is forwarded to the nodes as it is");
  app->add_option("--name", a->proxy.name,
                  "this proxy's name in request records (default proxy-PID)");
  app->add_option("--switch-penalty", a->proxy.switch_penalty,
                  "routing: a node where the model is not resident counts as if this many more of "
                  "its requests were queued there (default 8; 0: pure least-queue balancing)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--max-connections", a->proxy.max_connections,
                  "open client connections; one more gets 503 (default 4096)")
      ->check(CLI::PositiveNumber);
  app->add_option("--header-timeout", a->proxy.header_timeout_s,
                  "seconds for a request to arrive whole (default 10)")
      ->check(CLI::PositiveNumber);
  app->add_option("--connect-timeout", a->proxy.connect_timeout_s,
                  "seconds to connect to a node before trying another (default 1)")
      ->check(CLI::PositiveNumber);
  app->add_option("--drain-timeout", a->proxy.drain_timeout_s,
                  "seconds open requests may run after SIGTERM (default 60)")
      ->check(CLI::NonNegativeNumber);
  app->callback([a, &action] {
    action = [a]() -> int {
      if (Status s = a->cluster.Resolve(); !s.ok()) return Fail(s.message());
      a->proxy.port = static_cast<uint16_t>(a->port);
      if (a->proxy.api_key.empty()) {
        if (const char* env = std::getenv("AEGAEON_API_KEY")) a->proxy.api_key = env;
      }
      cluster::BlockStopSignals();  // before any thread: Run receives SIGTERM/SIGINT
      RaiseOpenFileLimit();
      auto say = [](const std::string& line) { fmt::print(stderr, "aegaeon proxy: {}\n", line); };
      cluster::ClusterView view(a->cluster.options, say);
      if (Status s = view.Start(); !s.ok()) {
        return Fail(s.message() + " (start redis-server, or give its address with --cluster)");
      }
      auto proxy = cluster::Proxy::Start(a->proxy, &view);
      if (!proxy.ok()) return Fail(proxy.message());
      fmt::print(stderr, "aegaeon proxy: listening on {}:{}, {} nodes in {}\n", a->proxy.host,
                 (*proxy)->port(), view.Nodes().size(), a->cluster.options.redis.Url());
      if (Status s = (*proxy)->Run(); !s.ok()) return Fail(s.message());
      return 0;
    };
  });
}

}  // namespace llms::aegaeon::cli
