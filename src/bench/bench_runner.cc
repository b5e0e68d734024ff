// The benchmark's event loop: model discovery, scheduling, streaming, measurement.
#include "bench/bench_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/progress.h"
#include "core/rng.h"

namespace llms::bench {

namespace net = boost::asio;
using net::awaitable;
using net::use_awaitable;
using nlohmann::json;

namespace {

using Clock = HttpClient::Clock;

// The words of synthesized chat prompts: common English words, one token each for the usual
// BPE vocabularies, so a prompt of N words is about N tokens.
constexpr const char* kWords[] = {"the",  "of",   "and",  "to", "in",   "is",  "that", "for", "it",
                                  "was",  "on",   "are",  "as", "with", "his", "they", "at",  "be",
                                  "this", "from", "have", "or", "by",   "one", "had",  "not"};

std::string RequestBody(const BenchOptions& o, const std::string& model, const BenchItem& item,
                        uint64_t index) {
  json body = {{"model", model},
               {"max_tokens", item.output_tokens},
               {"stream", true},
               {"stream_options", {{"include_usage", true}}},
               {"temperature", 0}};
  if (o.ignore_eos) body["ignore_eos"] = true;
  Rng rng(o.workload.seed * 0x9e3779b97f4a7c15ULL + index);
  if (o.api == "chat") {
    std::string text;
    for (int i = 0; i < item.input_tokens; ++i) {
      if (i > 0) text += ' ';
      text += kWords[rng.NextU64() % std::size(kWords)];
    }
    body["messages"] = json::array({{{"role", "user"}, {"content", text}}});
  } else {
    // Token ids give exact prompt lengths; ids below 259 exist in every vocabulary served here.
    std::vector<int> ids(static_cast<size_t>(item.input_tokens));
    for (int& id : ids) id = 3 + static_cast<int>(rng.NextU64() % 256);
    body["prompt"] = ids;
  }
  return body.dump();
}

// Incremental server-sent-events reader for one response.
class SseReader {
 public:
  explicit SseReader(RequestRecord* r, Clock::time_point start) : r_(r), start_(start) {}
  void Feed(std::string_view data, Clock::time_point at) {
    buf_.append(data);
    size_t pos;
    while ((pos = buf_.find("\n\n")) != std::string::npos) {
      Event(std::string_view(buf_).substr(0, pos), at);
      buf_.erase(0, pos + 2);
    }
  }
  bool done() const { return done_; }
  int usage_tokens() const { return usage_tokens_; }
  const std::string& error() const { return error_; }

 private:
  void Event(std::string_view ev, Clock::time_point at) {
    while (!ev.empty() && (ev.back() == '\r')) ev.remove_suffix(1);
    if (ev.rfind("data:", 0) != 0) return;  // comments, event names, retry hints
    ev.remove_prefix(5);
    if (!ev.empty() && ev.front() == ' ') ev.remove_prefix(1);
    if (ev == "[DONE]") {
      done_ = true;
      return;
    }
    // Cheap checks first: only usage and error events are parsed in full.
    if (HasText(ev, "\"text\":\"") || HasText(ev, "\"content\":\"")) {
      r_->token_s.push_back(std::chrono::duration<double>(at - start_).count());
    }
    if (ev.find("\"usage\"") != std::string_view::npos ||
        ev.find("\"error\"") != std::string_view::npos) {
      json j = json::parse(ev, nullptr, false);
      if (j.is_discarded()) return;
      if (j.contains("usage") && j["usage"].is_object() &&
          j["usage"].contains("completion_tokens")) {
        usage_tokens_ = j["usage"]["completion_tokens"].get<int>();
      }
      if (j.contains("error") && j["error"].is_object()) {
        error_ = j["error"].value("message", std::string("error event in the stream"));
      }
    }
  }
  static bool HasText(std::string_view ev, std::string_view key) {
    const size_t p = ev.find(key);
    return p != std::string_view::npos && p + key.size() < ev.size() && ev[p + key.size()] != '"';
  }

  RequestRecord* r_;
  Clock::time_point start_;
  std::string buf_;
  bool done_ = false;
  int usage_tokens_ = -1;
  std::string error_;
};

std::string ErrorKind(const RequestRecord& r) {
  if (r.status == 0) return "connection";
  if (r.status != 200) return fmt::format("http {}", r.status);
  return "stream";
}

class Runner {
 public:
  Runner(const BenchOptions& o, std::vector<BenchItem> items, std::vector<std::string> models)
      : o_(o),
        items_(std::move(items)),
        models_(std::move(models)),
        client_(io_, o.endpoint, o.api_key) {
    records_.resize(items_.size());
  }

  BenchResult Run() {
    start_ = Clock::now();
    // The work guard keeps the I/O thread alive between the dispatcher's posts.
    auto guard = net::make_work_guard(io_);
    std::thread dispatcher;
    if (o_.concurrency > 0) {
      net::co_spawn(io_, ClosedLoop(), net::detached);
    } else {
      dispatcher = std::thread([this] { OpenLoop(); });
    }
    net::co_spawn(io_, Progress(), net::detached);
    all_done_ = [&guard] { guard.reset(); };
    if (items_.empty()) guard.reset();
    io_.run();
    if (dispatcher.joinable()) dispatcher.join();
    BenchResult r;
    r.wall_s = Seconds(Clock::now());
    r.models = models_;
    r.records = std::move(records_);
    r.connections = client_.connections_opened();
    return r;
  }

 private:
  double Seconds(Clock::time_point t) const {
    return std::chrono::duration<double>(t - start_).count();
  }

  // Open loop, on its own thread: sleeps until each request's time and writes it at once, so
  // the send times do not wait behind the I/O thread's stream processing. The next body is
  // built, and spare connections opened, while it waits.
  void OpenLoop() {
    std::string body = items_.empty() ? "" : Body(0);
    for (size_t i = 0; i < items_.size(); ++i) {
      const auto at = start_ + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(items_[i].at_s));
      // Spare connections are opened while there is time (a connect takes tens of us).
      while (at - Clock::now() > std::chrono::microseconds(400) && client_.Prewarm(32)) {
      }
      // Sleep to just before the time, then spin the rest: sleeps overshoot by ~50-100 us.
      std::this_thread::sleep_until(at - std::chrono::microseconds(150));
      while (Clock::now() < at) {
      }
      RequestRecord& rec = records_[i];
      Begin(i);
      auto sse = std::make_shared<SseReader>(&rec, start_);
      client_.PostFromThread(
          Path(), body, [sse](std::string_view d, Clock::time_point t) { sse->Feed(d, t); },
          [&rec, this](Clock::time_point t) {
            std::atomic_ref<double>(rec.sent_s).store(Seconds(t));  // Progress reads it
          },
          [this, i, sse](HttpResult res) { Finish(i, res, *sse); });
      if (i + 1 < items_.size()) body = Body(i + 1);
    }
  }

  awaitable<void> ClosedLoop() {
    for (int w = 0; w < o_.concurrency; ++w) net::co_spawn(io_, Worker(), net::detached);
    co_return;
  }

  awaitable<void> Worker() {
    while (next_ < items_.size()) {
      const size_t i = next_++;
      items_[i].at_s = Seconds(Clock::now());
      co_await One(i);
    }
  }

  std::string Path() const { return o_.api == "chat" ? "/v1/chat/completions" : "/v1/completions"; }
  std::string Body(size_t i) const {
    return RequestBody(o_, models_[static_cast<size_t>(items_[i].model)], items_[i], i);
  }

  // Fills in what is known before sending (any thread: each record has one writer at a time).
  void Begin(size_t i) {
    RequestRecord& rec = records_[i];
    rec.model = items_[i].model;
    rec.input_tokens = items_[i].input_tokens;
    rec.max_tokens = items_[i].output_tokens;
    rec.scheduled_s = items_[i].at_s;
  }

  // On the I/O thread, once the response has ended.
  void Finish(size_t i, const HttpResult& res, const SseReader& sse) {
    RequestRecord& rec = records_[i];
    rec.end_s = Seconds(Clock::now());
    rec.status = res.status;
    if (!res.error.empty()) {
      rec.error = res.error;
    } else if (res.status != 200) {
      json j = json::parse(res.body, nullptr, false);
      rec.error = !j.is_discarded() && j.contains("error") && j["error"].is_object()
                      ? j["error"].value("message", res.body)
                      : res.body.substr(0, 200);
    } else if (!sse.error().empty()) {
      rec.error = sse.error();
    } else if (!sse.done()) {
      rec.error = "the stream ended without data: [DONE]";
    } else if (rec.token_s.empty()) {
      rec.error = "no tokens";
    }
    rec.output_tokens =
        sse.usage_tokens() >= 0 ? sse.usage_tokens() : static_cast<int>(rec.token_s.size());
    if (!rec.error.empty()) ++failed_;
    ++done_;
    // In flight: sent and not finished (sends are counted by the dispatcher's records).
    if (done_ == items_.size() && all_done_) all_done_();
  }

  awaitable<void> One(size_t i) {
    RequestRecord& rec = records_[i];
    Begin(i);
    ++closed_loop_in_flight_;
    SseReader sse(&rec, start_);
    HttpResult res = co_await client_.Post(
        Path(), Body(i), [&sse](std::string_view d, Clock::time_point at) { sse.Feed(d, at); },
        [&rec, this](Clock::time_point at) { rec.sent_s = Seconds(at); });
    --closed_loop_in_flight_;
    Finish(i, res, sse);
  }

  awaitable<void> Progress() {
    ProgressBar bar("bench", static_cast<double>(items_.size()),
                    o_.progress && ProgressBar::StderrIsTerminal());
    net::steady_timer t(io_);
    while (done_ < items_.size()) {
      // Open requests: sent (the dispatcher stamps sent_s) and not finished. Sampled here, on
      // the I/O thread, which is also where the most-open figure is kept.
      int open = 0;
      if (o_.concurrency > 0) {
        open = closed_loop_in_flight_;
      } else {
        while (scan_from_ < items_.size() && records_[scan_from_].end_s >= 0) ++scan_from_;
        for (size_t k = scan_from_; k < items_.size(); ++k) {
          if (std::atomic_ref<double>(records_[k].sent_s).load() < 0) break;
          if (records_[k].end_s < 0) ++open;
        }
      }
      bar.Update(static_cast<double>(done_), fmt::format("{} in flight, {} failed", open, failed_));
      t.expires_after(std::chrono::milliseconds(100));
      co_await t.async_wait(use_awaitable);
    }
    bar.Finish(fmt::format("{} requests, {} failed", items_.size(), failed_));
  }

  const BenchOptions& o_;
  std::vector<BenchItem> items_;
  std::vector<std::string> models_;
  net::io_context io_{1};
  HttpClient client_;
  std::vector<RequestRecord> records_;
  Clock::time_point start_;
  size_t next_ = 0, done_ = 0, scan_from_ = 0;
  int closed_loop_in_flight_ = 0;
  int64_t failed_ = 0;
  std::function<void()> all_done_;
};

// GET /v1/models: the served ids and, where the server says (vLLM's max_model_len), contexts.
Result<std::vector<std::pair<std::string, int>>> ListModels(const BenchOptions& o) {
  net::io_context io;
  HttpClient client(io, o.endpoint, o.api_key);
  HttpResult res;
  net::co_spawn(
      io, [&]() -> awaitable<void> { res = co_await client.Get("/v1/models"); }, net::detached);
  io.run();
  const std::string where = fmt::format("http://{}:{}{}/v1/models", o.endpoint.host,
                                        o.endpoint.port, o.endpoint.base_path);
  if (!res.error.empty())
    return Result<std::vector<std::pair<std::string, int>>>::Error(where + ": " + res.error +
                                                                   " (is the server running?)");
  if (res.status != 200) {
    return Result<std::vector<std::pair<std::string, int>>>::Error(
        fmt::format("{}: HTTP {}: {}", where, res.status, res.body.substr(0, 300)));
  }
  json j = json::parse(res.body, nullptr, false);
  if (j.is_discarded() || !j.contains("data") || !j["data"].is_array()) {
    return Result<std::vector<std::pair<std::string, int>>>::Error(where +
                                                                   ": not an OpenAI model list");
  }
  std::vector<std::pair<std::string, int>> out;
  for (const json& m : j["data"]) {
    if (!m.is_object() || !m.contains("id") || !m["id"].is_string()) continue;
    const int ctx = m.contains("max_model_len") && m["max_model_len"].is_number_integer()
                        ? m["max_model_len"].get<int>()
                        : 0;
    out.emplace_back(m["id"].get<std::string>(), ctx);
  }
  return out;
}

}  // namespace

Result<BenchResult> RunBench(const BenchOptions& options) {
  auto listed = ListModels(options);
  if (!listed.ok()) return listed.status();
  BenchOptions o = options;
  if (o.models.empty()) {
    for (const auto& [id, ctx] : *listed) o.models.push_back(id);
    if (o.models.empty()) return Result<BenchResult>::Error("the endpoint serves no models");
  }
  o.workload.num_models = static_cast<int>(o.models.size());
  o.workload.context.clear();
  for (const std::string& m : o.models) {
    auto it =
        std::find_if(listed->begin(), listed->end(), [&](const auto& p) { return p.first == m; });
    if (it == listed->end()) {
      std::string names;
      for (const auto& [id, ctx] : *listed) names += (names.empty() ? "" : ", ") + id;
      return Result<BenchResult>::Error("--model " + m +
                                        ": the endpoint does not serve it; it serves " + names);
    }
    // Leave room for a BOS token the server may add to the prompt.
    o.workload.context.push_back(it->second > 2 ? it->second - 1 : 0);
  }
  for (const auto& [name, slo] : o.model_slo) {
    if (std::find(o.models.begin(), o.models.end(), name) == o.models.end()) {
      return Result<BenchResult>::Error("--slo " + name + ": not one of the models benchmarked");
    }
  }
  auto items = LoadBenchWorkload(o.workload);
  if (!items.ok()) return items.status();
  Runner runner(o, std::move(*items), o.models);
  BenchResult r = runner.Run();

  std::vector<RequestTiming> all;
  std::vector<std::vector<RequestTiming>> by_model(o.models.size());
  std::vector<double> lag;
  for (const RequestRecord& rec : r.records) {
    RequestTiming t;
    t.arrival_s = rec.sent_s >= 0 ? rec.sent_s : rec.scheduled_s;
    t.token_s = rec.token_s;
    t.failed = !rec.error.empty();
    if (auto own = o.model_slo.find(o.models[static_cast<size_t>(rec.model)]);
        own != o.model_slo.end()) {
      t.slo = own->second;
    }
    all.push_back(t);
    by_model[static_cast<size_t>(rec.model)].push_back(t);
    if (rec.sent_s >= 0) lag.push_back(rec.sent_s - rec.scheduled_s);
    if (!rec.error.empty()) ++r.errors[ErrorKind(rec)];
    r.input_tokens += rec.input_tokens;
    if (rec.error.empty()) r.output_tokens += rec.output_tokens;
  }
  // The most requests open at once: a sweep over the [sent, end] intervals.
  std::vector<std::pair<double, int>> edges;
  for (const RequestRecord& rec : r.records) {
    if (rec.sent_s < 0) continue;
    edges.emplace_back(rec.sent_s, 1);
    edges.emplace_back(rec.end_s >= 0 ? rec.end_s : r.wall_s, -1);
  }
  std::sort(edges.begin(), edges.end());
  int open = 0;
  for (const auto& [t, d] : edges) r.max_in_flight = std::max(r.max_in_flight, open += d);
  r.summary = SummarizeRequests(all, o.slo, r.wall_s);
  for (const auto& m : by_model) r.per_model.push_back(SummarizeRequests(m, o.slo, r.wall_s));
  r.send_lag_s = Summarize(lag);
  return r;
}

}  // namespace llms::bench
