// `aegaeon serve` implementation: flags and config file into a deployment, then the HTTP server.
#include "serve_command.h"

#include <fmt/format.h>

#include <cstdlib>
#include <memory>

#include "bench/http_client.h"
#include "cluster/membership.h"
#include "cluster_options.h"
#include "errors.h"
#include "server/chat_template.h"
#include "server/http_server.h"
#include "server/model_service.h"
#include "server/serve_config.h"
#include "serving/policy.h"

namespace llms::aegaeon::cli {

namespace {

struct ServeArgs {
  std::string config;
  std::vector<std::string> models, tokenizers, slos;
  server::DeploymentConfig deployment;
  server::ServerOptions server;
  int port = -1;
  double instance_mb = 0, host_kv_mb = 0;
  double ttft_slo = 0, tpot_slo = 0;
  double max_body_mb = 8, max_prompt_mb = 4;
  ClusterArgs cluster;
  std::string node, advertise;
};

// The node's record for the cluster: where it answers and what it serves now.
cluster::NodeInfo Snapshot(const server::ModelService& service, const std::string& name,
                           const std::string& url) {
  cluster::NodeInfo n;
  n.name = name;
  n.url = url;
  n.instances = service.config().instances;
  n.draining = service.draining();
  for (const auto& m : service.Activity()) {
    n.models.push_back({m.name, m.resident, m.waiting, m.running, m.max_model_len});
  }
  return n;
}

}  // namespace

void RegisterServe(CLI::App& root, std::function<int()>& action) {
  auto* app = root.add_subcommand(
      "serve",
      "serve models through an OpenAI-compatible HTTP API, scaling them in and out of "
      "the instances at token granularity");
  app->footer(R"(Examples:
  aegaeon serve --port 8000 --model small=/tmp/d.gguf --model qwen=/tmp/q.gguf
  aegaeon serve --model stories=../shared/models/stories260K/stories260K.bin \
      --tokenizer stories=../shared/models/stories260K/tok512.bin --model /tmp/models/
  aegaeon serve --config serve.yaml --api-key "$KEY" --policy request-level
Then: curl http://127.0.0.1:8000/v1/completions -H 'Content-Type: application/json' \
      -d '{"model": "small", "prompt": "Once upon a time", "max_tokens": 32, "stream": true}'
SIGTERM (or Ctrl-C) drains: new requests get 503, in-flight ones finish, then it exits.
docs/serve.md documents the API, the configuration file and the metrics.)");
  auto a = std::make_shared<ServeArgs>();
  app->add_option("--config", a->config,
                  "YAML configuration file (docs/serve.md); flags override it");
  app->add_option("--host", a->server.host, "address to bind (default 127.0.0.1)");
  app->add_option("--port", a->port, "port (default 8000; 0 picks a free one, see --port-file)")
      ->check(CLI::Range(0, 65535));
  app->add_option("--port-file", a->server.port_file,
                  "write the bound port to this file once listening");
  app->add_option("-m,--model", a->models,
                  "a model to serve: NAME=FILE (GGUF or llama2.c .bin), FILE (named by its stem) "
                  "or a directory of .gguf files (repeatable)");
  app->add_option("--tokenizer", a->tokenizers,
                  "NAME=TOKENIZER.bin: the llama2.c tokenizer of model NAME (repeatable)");
  app->add_option(
      "--api-key", a->server.api_key,
      "require 'Authorization: Bearer KEY' on /v1 (default: $AEGAEON_API_KEY, else none)");
  app->add_option("--policy", a->deployment.policy,
                  "scheduling policy: " + serving::PolicyNameList() + " (default aegaeon)");
  app->add_option("--instances", a->deployment.instances,
                  "instances in all (default 2; each runs on its own thread)")
      ->check(CLI::PositiveNumber);
  app->add_option("--prefill-instances", a->deployment.prefill_instances,
                  "aegaeon: how many of the instances do prefill (default 1)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--instance-memory", a->instance_mb,
                  "MiB of each instance's arena (weights + KV; default: largest model + 64)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--host-kv", a->host_kv_mb, "MiB of the host KV pool (default 1024)")
      ->check(CLI::PositiveNumber);
  app->add_option("--threads", a->deployment.threads_per_instance,
                  "compute threads per instance (default 1)")
      ->check(CLI::PositiveNumber);
  app->add_option("--max-queue", a->deployment.max_queue,
                  "waiting requests per model before 429 (default 1024)")
      ->check(CLI::PositiveNumber);
  app->add_option("--max-in-flight", a->deployment.max_in_flight,
                  "requests in the server before 503 (default 8192)")
      ->check(CLI::PositiveNumber);
  app->add_option("--max-round", a->deployment.max_round_s,
                  "aegaeon: longest decode round in seconds (default 0.5)")
      ->check(CLI::PositiveNumber);
  app->add_option("--ttft-slo", a->ttft_slo,
                  "TTFT target in seconds the scheduler aims at (default 2)")
      ->check(CLI::PositiveNumber);
  app->add_option("--tpot-slo", a->tpot_slo,
                  "time-per-output-token target in seconds (default 0.2)")
      ->check(CLI::PositiveNumber);
  app->add_option("--slo", a->slos,
                  "NAME=TTFT_S,TPOT_S: model NAME's own SLOs, which its decode quotas aim at "
                  "(repeatable; other models take --ttft-slo/--tpot-slo)");
  app->add_option("--drain-timeout", a->server.drain_timeout_s,
                  "seconds in-flight requests may take after SIGTERM (default 60)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--max-body-mb", a->max_body_mb,
                  "MiB a request body may have; larger ones get 413 (default 8)")
      ->check(CLI::PositiveNumber);
  app->add_option("--max-prompt-mb", a->max_prompt_mb,
                  "MiB a prompt's text may have; a longer one gets 400 before it is tokenized "
                  "(default 4)")
      ->check(CLI::PositiveNumber);
  app->add_option("--latency-profile", a->deployment.latency_profile,
                  "plan with the latencies measured on this machine (a JSON written by aegaeon "
                  "latency --measure; a model missing from it takes the entry of one of its size)");
  AddClusterOptions(app, &a->cluster,
                    "join a cluster: register this node in the Redis server at redis://HOST:PORT, "
                    "where aegaeon proxy finds it (docs/cluster.md)");
  app->add_option("--node", a->node,
                  "--cluster: this node's name, unique in the cluster (default HOST-PORT)");
  app->add_option("--advertise", a->advertise,
                  "--cluster: the URL proxies reach this node at (default http://HOST:PORT of the "
                  "bound address)");
  app->add_option("--step-log", a->deployment.step_log,
                  "write every step the instances run to this CSV (kind, model, batch, tokens, "
                  "seconds): serving's real step costs, to compare with a latency profile or "
                  "calibrate it (aegaeon latency --calibrate)");
  app->add_option("--max-model-len", a->deployment.max_model_len,
                  "tokens one request may span, prompt + max_tokens (default: each model's "
                  "context, bounded by one instance's KV space; /v1/models shows it)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--header-timeout", a->server.header_timeout_s,
                  "seconds for a request's line and headers to arrive (default 10; then 408)")
      ->check(CLI::PositiveNumber);
  app->add_option("--body-timeout", a->server.body_timeout_s,
                  "seconds for a request's body to arrive (default 60; then 408)")
      ->check(CLI::PositiveNumber);
  app->add_option("--keep-alive-timeout", a->server.keep_alive_timeout_s,
                  "seconds an idle kept-alive connection stays open (default 5)")
      ->check(CLI::PositiveNumber);
  app->add_option("--max-generation-time", a->server.max_generation_s,
                  "seconds a generation may run before it is ended with an error (default 600)")
      ->check(CLI::PositiveNumber);
  app->add_option("--max-connections", a->server.max_connections,
                  "open connections before new ones get 503 (default 4096)")
      ->check(CLI::PositiveNumber);
  app->callback([a, app, &action] {
    action = [a, app]() -> int {
      // The file first (or the defaults), then the flags given explicitly on top.
      server::DeploymentConfig d;
      server::ServerOptions o;
      if (!a->config.empty()) {
        if (Status s = server::LoadServeConfig(a->config, &d, &o); !s.ok()) {
          return Fail(s.message());
        }
      }
      auto given = [app](const char* flag) { return app->count(flag) > 0; };
      const server::DeploymentConfig& f = a->deployment;
      if (given("--policy")) d.policy = f.policy;
      if (given("--instances")) d.instances = f.instances;
      if (given("--prefill-instances")) d.prefill_instances = f.prefill_instances;
      if (given("--threads")) d.threads_per_instance = f.threads_per_instance;
      if (given("--max-queue")) d.max_queue = f.max_queue;
      if (given("--max-in-flight")) d.max_in_flight = f.max_in_flight;
      if (given("--max-round")) d.max_round_s = f.max_round_s;
      if (given("--host")) o.host = a->server.host;
      if (given("--api-key")) o.api_key = a->server.api_key;
      if (given("--drain-timeout")) o.drain_timeout_s = a->server.drain_timeout_s;
      if (given("--max-body-mb"))
        o.max_body_bytes = static_cast<size_t>(a->max_body_mb * (1 << 20));
      if (given("--max-prompt-mb"))
        o.max_prompt_bytes = static_cast<size_t>(a->max_prompt_mb * (1 << 20));
      if (given("--max-model-len")) d.max_model_len = f.max_model_len;
      if (given("--latency-profile")) d.latency_profile = f.latency_profile;
      if (given("--step-log")) d.step_log = f.step_log;
      if (given("--header-timeout")) o.header_timeout_s = a->server.header_timeout_s;
      if (given("--body-timeout")) o.body_timeout_s = a->server.body_timeout_s;
      if (given("--keep-alive-timeout")) o.keep_alive_timeout_s = a->server.keep_alive_timeout_s;
      if (given("--max-generation-time")) o.max_generation_s = a->server.max_generation_s;
      if (given("--max-connections")) o.max_connections = a->server.max_connections;
      o.port_file = a->server.port_file;
      if (given("--port")) o.port = static_cast<uint16_t>(a->port);
      if (given("--instance-memory"))
        d.instance_memory = static_cast<size_t>(a->instance_mb * (1 << 20));
      if (given("--host-kv")) d.host_kv_bytes = static_cast<size_t>(a->host_kv_mb * (1 << 20));
      if (given("--ttft-slo")) d.slo.ttft_s = a->ttft_slo;
      if (given("--tpot-slo")) d.slo.tpot_s = a->tpot_slo;
      if (o.api_key.empty()) {
        if (const char* env = std::getenv("AEGAEON_API_KEY")) o.api_key = env;
      }
      for (const std::string& m : a->models) {
        if (Status s = server::AddModelSpec(m, &d.models); !s.ok()) return Fail(s.message());
      }
      for (const std::string& t : a->tokenizers) {
        if (Status s = server::AddTokenizerSpec(t, &d.models); !s.ok()) return Fail(s.message());
      }
      for (const std::string& slo : a->slos) {
        if (Status s = server::AddSloSpec(slo, &d.models); !s.ok()) return Fail(s.message());
      }
      if (d.policy == "aegaeon" && d.prefill_instances >= d.instances) {
        return Fail(
            fmt::format("--prefill-instances {} leaves no decode instance of {}: give "
                        "--instances at least {}",
                        d.prefill_instances, d.instances, d.prefill_instances + 1));
      }
      if (Status s = a->cluster.Resolve(); !s.ok()) return Fail(s.message());
      if (a->cluster.url.empty() && (!a->node.empty() || !a->advertise.empty())) {
        return Fail("--node and --advertise need --cluster redis://HOST:PORT");
      }
      if (!a->advertise.empty()) {
        if (auto e = bench::ParseEndpoint(a->advertise); !e.ok()) {
          return Fail("--advertise: " + e.message());
        }
      }
      RaiseOpenFileLimit();
      // The address and port first: a mistake there should not wait for every model to load.
      std::unique_ptr<server::ModelService> service;  // outlives the HTTP server (declared first)
      server::HttpServer http(o);
      if (Status s = http.Bind(); !s.ok()) return Fail(s.message());
      fmt::print(stderr, "aegaeon serve: loading {} models\n", d.models.size());
      auto started = server::ModelService::Start(d);
      if (!started.ok()) return Fail(started.message());
      service = std::move(*started);
      for (int i = 0; i < service->num_models(); ++i) {
        const server::ChatFormat f = service->chat_format(i);
        fmt::print(stderr,
                   "aegaeon serve: model {}: chat template {}; up to {} tokens per request\n",
                   service->model(i).name,
                   f == server::ChatFormat::kPlain
                       ? "none recognised in the file: chat messages are joined by newlines"
                       : std::string(server::ChatFormatName(f)) + " (from the file)",
                   service->MaxModelLen(i));
      }
      std::unique_ptr<cluster::NodeHeartbeat> heartbeat;
      if (!a->cluster.url.empty()) {
        const std::string host = o.host == "0.0.0.0" || o.host == "::" ? "127.0.0.1" : o.host;
        const std::string url =
            a->advertise.empty() ? fmt::format("http://{}:{}", host, http.port()) : a->advertise;
        const std::string name =
            a->node.empty() ? fmt::format("{}-{}", host, http.port()) : a->node;
        const server::ModelService* svc = service.get();
        heartbeat = std::make_unique<cluster::NodeHeartbeat>(
            a->cluster.options, [svc, name, url] { return Snapshot(*svc, name, url); },
            [](const std::string& line) { fmt::print(stderr, "aegaeon serve: {}\n", line); });
        if (Status s = heartbeat->Start(); !s.ok()) {
          return Fail(s.message() + " (start redis-server, or give its address with --cluster)");
        }
        fmt::print(stderr, "aegaeon serve: node {} registered in {} as {} (lease {:g} s)\n", name,
                   a->cluster.options.redis.Url(), url, a->cluster.options.lease_s);
      }
      const Status run = http.Run(service.get());
      if (heartbeat) heartbeat->Stop();  // deregisters: the node is gone
      if (!run.ok()) return Fail(run.message());
      return 0;
    };
  });
}

}  // namespace llms::aegaeon::cli
