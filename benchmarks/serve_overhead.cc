// Server overhead: output tokens/s of a batch of requests streamed through the HTTP server (real
// sockets, SSE, one event per token) against (1) the same batch submitted to the same deployment
// directly (scheduler and executors, no HTTP) and (2) the engine driven directly (one batched
// prefill, then batched decode steps of the whole batch on one thread, no scheduler), in one
// process, rounds interleaved so machine noise hits all alike. The target: HTTP streaming
// keeps >= 98% of the direct rate. Run by serve_overhead.sh.
//
// Usage: serve_overhead --model NAME=FILE [--batch 16] [--prompt 32] [--output 128] [--rounds 5]
#include <fmt/format.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/http_client.h"
#include "core/stats.h"
#include "engine/kv_cache.h"
#include "engine/sampler.h"
#include "engine/transformer.h"
#include "engine/weights_arena.h"
#include "server/http_server.h"
#include "server/model_service.h"
#include "server/serve_config.h"

namespace {

using namespace llms;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string model;
  int batch = 16, prompt = 32, output = 128, rounds = 5;
};

std::vector<int32_t> Prompt(int n, int salt) {
  std::vector<int32_t> p;
  for (int i = 0; i < n; ++i) p.push_back(3 + (i * 7 + salt * 13) % 200);
  return p;
}

// The batch submitted straight to the ModelService; returns output tokens per second.
double Direct(server::ModelService* svc, const Args& a) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<server::Generation>> gens;
  const auto t0 = Clock::now();
  for (int i = 0; i < a.batch; ++i) {
    serving::ServingRequest r;
    r.model = 0;
    r.prompt = Prompt(a.prompt, i);
    r.prompt_tokens = a.prompt;
    r.max_output_tokens = a.output;
    r.ignore_eos = true;
    auto g = std::make_shared<server::Generation>(0, std::move(r), *svc->model(0).loaded.tokenizer,
                                                  std::vector<std::string>{});
    g->SetWaker([&] {
      std::lock_guard<std::mutex> lock(mu);
      cv.notify_all();
    });
    gens.push_back(g);
    if (auto e = svc->Submit(g)) {
      fmt::print(stderr, "direct: {}\n", e->message);
      std::exit(1);
    }
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] {
    return std::all_of(gens.begin(), gens.end(), [](const auto& g) { return g->released(); });
  });
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  int64_t tokens = 0;
  for (const auto& g : gens) tokens += g->Read(SIZE_MAX).tokens;
  return static_cast<double>(tokens) / s;
}

// The engine alone: the batch's prompts in one forward pass, then one decode step for all of them
// at a time, greedy, on one thread; returns output tokens per second. `model` reads its weights
// from huge pages, as a serving instance holds them in its arena, so the two sides differ only by
// the serving layers, not by page size.
double Engine(const engine::Model& model, const Args& a) {
  const int per_seq = (a.prompt + a.output + 16) / 16;
  engine::KvCache cache(model.config, per_seq * a.batch);
  engine::Transformer tf(model, cache);
  std::vector<engine::BlockTable> tables(static_cast<size_t>(a.batch));
  std::vector<engine::BatchRow> rows;
  const auto t0 = Clock::now();
  for (int i = 0; i < a.batch; ++i) {
    auto& t = tables[static_cast<size_t>(i)];
    (void)cache.Reserve(t, a.prompt + a.output);
    const std::vector<int32_t> p = Prompt(a.prompt, i);
    for (int k = 0; k < a.prompt; ++k) {
      rows.push_back({&t, p[static_cast<size_t>(k)], k, k == a.prompt - 1});
    }
  }
  const size_t vocab = static_cast<size_t>(model.config.vocab_size);
  std::vector<int> last(static_cast<size_t>(a.batch));
  int64_t tokens = 0;
  for (int step = 0; step < a.output; ++step) {
    const std::vector<float>& logits = tf.Forward(rows);
    for (size_t i = 0; i < last.size(); ++i) {
      last[i] = engine::Argmax(std::span<const float>(logits.data() + i * vocab, vocab));
    }
    tokens += a.batch;
    rows.clear();
    for (size_t i = 0; i < last.size(); ++i)
      rows.push_back({&tables[i], last[i], a.prompt + step, true});
  }
  return static_cast<double>(tokens) / std::chrono::duration<double>(Clock::now() - t0).count();
}

// The same batch as streamed HTTP requests; returns output tokens per second (from `usage`).
double OverHttp(int port, const std::string& model, const Args& a) {
  namespace net = boost::asio;
  net::io_context io;
  bench::HttpClient client(io, *bench::ParseEndpoint("http://127.0.0.1:" + std::to_string(port)),
                           "");
  int64_t tokens = 0;
  const auto t0 = Clock::now();
  for (int i = 0; i < a.batch; ++i) {
    net::co_spawn(
        io,
        [&, i]() -> net::awaitable<void> {
          nlohmann::json body = {{"model", model},
                                 {"prompt", Prompt(a.prompt, i)},
                                 {"max_tokens", a.output},
                                 {"ignore_eos", true},
                                 {"stream", true},
                                 {"temperature", 0},
                                 {"stream_options", {{"include_usage", true}}}};
          std::string sse;
          auto res = co_await client.Post("/v1/completions", body.dump(),
                                          [&](std::string_view d, Clock::time_point) { sse += d; });
          if (res.status != 200) {
            fmt::print(stderr, "http: status {} {}\n", res.status, res.error);
            std::exit(1);
          }
          const size_t u = sse.find("\"completion_tokens\":");
          if (u != std::string::npos) tokens += std::stoll(sse.substr(u + 20));
        },
        net::detached);
  }
  io.run();
  return static_cast<double>(tokens) / std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tokens/s through HTTP streaming vs the same deployment driven directly"};
  Args a;
  app.add_option("--model", a.model, "NAME=FILE")->required();
  app.add_option("--batch", a.batch, "requests at once (default 16)");
  app.add_option("--prompt", a.prompt, "prompt tokens (default 32)");
  app.add_option("--output", a.output, "output tokens (default 128)");
  app.add_option("--rounds", a.rounds, "interleaved rounds (default 5)");
  CLI11_PARSE(app, argc, argv);

  server::DeploymentConfig d;
  if (Status s = server::AddModelSpec(a.model, &d.models); !s.ok()) {
    fmt::print(stderr, "{}\n", s.message());
    return 1;
  }
  d.policy = "aegaeon";
  auto svc = server::ModelService::Start(d);
  if (!svc.ok()) {
    fmt::print(stderr, "{}\n", svc.message());
    return 1;
  }
  // The HTTP server on the same deployment, on its own thread; SIGTERM stops it at the end.
  const std::string port_file =
      (std::filesystem::temp_directory_path() / fmt::format("overhead-{}", getpid())).string();
  server::ServerOptions o;
  o.port = 0;
  o.port_file = port_file;
  server::HttpServer server(o);
  if (Status s = server.Bind(); !s.ok()) {
    fmt::print(stderr, "{}\n", s.message());
    return 1;
  }
  std::thread http([&] { (void)server.Run(svc->get()); });
  int port = 0;
  for (int i = 0; i < 200 && port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::ifstream(port_file) >> port;
  }
  const std::string name = (*svc)->model(0).name;
  Direct(svc->get(), a);  // warm-up: first switch, page cache
  // The engine-alone side's weights, copied onto huge pages once.
  const auto placed = engine::PlaceOnHugePages((*svc)->model(0).loaded.model);
  if (!placed.ok()) std::abort();
  std::vector<double> direct, over_http, ratio, eng, eng_ratio;
  for (int r = 0; r < a.rounds; ++r) {
    const double e = Engine(placed->model, a);
    const double d1 = Direct(svc->get(), a);
    const double h = OverHttp(port, name, a);
    direct.push_back(d1);
    over_http.push_back(h);
    ratio.push_back(h / d1);
    eng.push_back(e);
    eng_ratio.push_back(h / e);
    fmt::print(
        "round {}: engine {:.1f} tok/s, deployment {:.1f} tok/s, http {:.1f} tok/s; "
        "http/deployment "
        "{:.3f}, http/engine {:.3f}\n",
        r + 1, e, d1, h, h / d1, h / e);
  }
  auto median = [](const std::vector<double>& v) { return Quantile(v, 0.5); };
  fmt::print(
      "{} batch {} ({} prompt + {} output tokens): medians engine {:.1f} tok/s, deployment {:.1f} "
      "tok/s, http {:.1f} tok/s; median ratios http/deployment {:.3f}, http/engine {:.3f}\n",
      name, a.batch, a.prompt, a.output, median(eng), median(direct), median(over_http),
      median(ratio), median(eng_ratio));
  kill(getpid(), SIGTERM);
  http.join();
  std::filesystem::remove(port_file);
  return 0;
}
