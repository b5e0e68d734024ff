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

// What a conversation has said so far, carried from one turn's request to the next's: the chat
// messages (with the replies as received) or the prompt's token ids.
struct History {
  json messages = json::array();
  std::vector<int> prompt;
};

std::string Words(Rng& rng, int n) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    if (i > 0) text += ' ';
    text += kWords[rng.NextU64() % std::size(kWords)];
  }
  return text;
}

// The request body of `item`; `history` (a later turn's: the earlier turns, and `reply` the
// previous turn's reply text) is extended with this turn, so the next turn can carry it.
std::string RequestBody(const BenchOptions& o, const std::string& model, const BenchItem& item,
                        uint64_t index, History* history, const BenchItem* prev,
                        const std::string& reply) {
  json body = {{"model", model},
               {"max_tokens", item.output_tokens},
               {"stream", true},
               {"stream_options", {{"include_usage", true}}},
               {"temperature", 0}};
  if (o.ignore_eos) body["ignore_eos"] = true;
  Rng rng(o.workload.seed * 0x9e3779b97f4a7c15ULL + index);
  History local;
  History& h = history ? *history : local;
  // A later turn's new part: what its prompt holds beyond the previous prompt and reply.
  const int carried = prev ? prev->input_tokens + prev->output_tokens : 0;
  const int fresh = std::max(1, item.input_tokens - carried);
  if (o.api == "chat") {
    if (prev) h.messages.push_back({{"role", "assistant"}, {"content", reply}});
    h.messages.push_back(
        {{"role", "user"}, {"content", Words(rng, prev ? fresh : item.input_tokens)}});
    body["messages"] = h.messages;
  } else {
    // Token ids give exact prompt lengths; ids below 259 exist in every vocabulary served here.
    // A later turn repeats the previous prompt, stands in for the reply, then adds its own part.
    auto id = [&] { return 3 + static_cast<int>(rng.NextU64() % 256); };
    if (prev) {
      for (int k = 0; k < prev->output_tokens; ++k) h.prompt.push_back(id());
    }
    const size_t want = static_cast<size_t>(item.input_tokens);
    while (h.prompt.size() < want) h.prompt.push_back(id());
    h.prompt.resize(want);
    body["prompt"] = h.prompt;
  }
  return body.dump();
}

// Incremental server-sent-events reader for one response.
class SseReader {
 public:
  // `text`: where the reply's text goes, when a later turn needs it (else nullptr).
  SseReader(RequestRecord* r, Clock::time_point start, std::string* text = nullptr)
      : r_(r), start_(start), text_(text) {}
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
      if (text_) AppendText(ev);
    }
    if (ev.find("\"usage\"") != std::string_view::npos ||
        ev.find("\"error\"") != std::string_view::npos) {
      json j = json::parse(ev, nullptr, false);
      if (j.is_discarded()) return;
      if (j.contains("usage") && j["usage"].is_object() &&
          j["usage"].contains("completion_tokens")) {
        usage_tokens_ = j["usage"]["completion_tokens"].get<int>();
        if (j["usage"].contains("prompt_tokens") && j["usage"]["prompt_tokens"].is_number_integer())
          r_->prompt_tokens = j["usage"]["prompt_tokens"].get<int>();
      }
      if (j.contains("error") && j["error"].is_object()) {
        error_ = j["error"].value("message", std::string("error event in the stream"));
      }
    }
  }
  void AppendText(std::string_view ev) {
    json j = json::parse(ev, nullptr, false);
    if (j.is_discarded() || !j.contains("choices") || !j["choices"].is_array() ||
        j["choices"].empty())
      return;
    const json& c = j["choices"][0];
    if (c.contains("delta") && c["delta"].is_object() && c["delta"].contains("content") &&
        c["delta"]["content"].is_string()) {
      *text_ += c["delta"]["content"].get<std::string>();
    } else if (c.contains("text") && c["text"].is_string()) {
      *text_ += c["text"].get<std::string>();
    }
  }
  static bool HasText(std::string_view ev, std::string_view key) {
    const size_t p = ev.find(key);
    return p != std::string_view::npos && p + key.size() < ev.size() && ev[p + key.size()] != '"';
  }

  RequestRecord* r_;
  Clock::time_point start_;
  std::string* text_;
  std::string buf_;
  bool done_ = false;
  int usage_tokens_ = -1;
  std::string error_;
};

std::string ErrorKind(const RequestRecord& r) {
  if (r.sent_s < 0 && r.error.rfind("not sent", 0) == 0) return "not sent";
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
    histories_.resize(items_.size());
    replies_.resize(items_.size());
    // With --concurrency, turns go as workers free up: no waiting for the previous turn.
    if (o_.concurrency > 0) {
      for (auto& it : items_) it.prev = it.next = -1;
    }
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
    // Later turns of conversations are sent by their previous turn's end (FollowUp), not here.
    std::vector<size_t> firsts;
    for (size_t i = 0; i < items_.size(); ++i)
      if (items_[i].prev < 0) firsts.push_back(i);
    std::string body = firsts.empty() ? "" : Body(firsts[0]);
    for (size_t f = 0; f < firsts.size(); ++f) {
      const size_t i = firsts[f];
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
      auto sse =
          std::make_shared<SseReader>(&rec, start_, items_[i].next >= 0 ? &replies_[i] : nullptr);
      client_.PostFromThread(
          Path(), body, [sse](std::string_view d, Clock::time_point t) { sse->Feed(d, t); },
          [&rec, this](Clock::time_point t) {
            std::atomic_ref<double>(rec.sent_s).store(Seconds(t));  // Progress reads it
          },
          [this, i, sse](HttpResult res) { Finish(i, res, *sse); });
      if (f + 1 < firsts.size()) body = Body(firsts[f + 1]);
    }
  }

  // On the I/O thread: the next turn of a conversation whose previous turn has just ended, sent
  // its think time later; when that turn failed, the rest of the conversation fails unsent.
  void ScheduleNext(size_t i) {
    const int64_t next = items_[i].next;
    if (next < 0) return;
    const auto n = static_cast<size_t>(next);
    if (!records_[i].error.empty()) {
      Begin(n);
      records_[n].scheduled_s = Seconds(Clock::now());
      records_[n].error =
          fmt::format("not sent: turn {} of its conversation failed", items_[i].turn);
      replies_[i].clear();
      Finish(n, HttpResult{}, SseReader(&records_[n], start_), /*already_failed=*/true);
      return;
    }
    const auto at = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(items_[n].think_s));
    items_[n].at_s = Seconds(at);
    net::co_spawn(io_, FollowUp(n, at), net::detached);
  }

  awaitable<void> FollowUp(size_t i, Clock::time_point at) {
    net::steady_timer t(io_);
    t.expires_at(at);
    co_await t.async_wait(use_awaitable);
    co_await One(i);
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
  // Builds item i's body; a conversation's turn takes the history of the one before it (whose
  // request has ended, so no other thread touches it) and leaves its own for the next.
  std::string Body(size_t i) {
    const BenchItem& it = items_[i];
    History* h = it.prev >= 0 || it.next >= 0 ? &histories_[i] : nullptr;
    const BenchItem* prev = nullptr;
    std::string reply;
    if (it.prev >= 0) {
      const auto p = static_cast<size_t>(it.prev);
      *h = std::move(histories_[p]);
      histories_[p] = History{};
      reply = std::move(replies_[p]);
      replies_[p].clear();
      prev = &items_[p];
    }
    std::string body =
        RequestBody(o_, models_[static_cast<size_t>(it.model)], it, i, h, prev, reply);
    if (h && it.next < 0) *h = History{};  // the conversation ends here
    return body;
  }

  // Fills in what is known before sending (any thread: each record has one writer at a time).
  void Begin(size_t i) {
    RequestRecord& rec = records_[i];
    rec.model = items_[i].model;
    rec.input_tokens = items_[i].input_tokens;
    rec.max_tokens = items_[i].output_tokens;
    rec.scheduled_s = items_[i].at_s;
    rec.slo_class = items_[i].slo_class;
    rec.turn = items_[i].turn;
  }

  // On the I/O thread, once the response has ended.
  void Finish(size_t i, const HttpResult& res, const SseReader& sse, bool already_failed = false) {
    RequestRecord& rec = records_[i];
    rec.end_s = Seconds(Clock::now());
    rec.status = res.status;
    if (already_failed) {
      // rec.error says why it was never sent
    } else if (!res.error.empty()) {
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
    ScheduleNext(i);
    // In flight: sent and not finished (sends are counted by the dispatcher's records).
    if (done_ == items_.size() && all_done_) all_done_();
  }

  awaitable<void> One(size_t i) {
    RequestRecord& rec = records_[i];
    Begin(i);
    ++closed_loop_in_flight_;
    SseReader sse(&rec, start_, items_[i].next >= 0 ? &replies_[i] : nullptr);
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
          if (items_[k].prev >= 0) continue;  // sent by FollowUp, on this thread
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
  std::vector<History> histories_;    // per conversation turn, moved along the conversation
  std::vector<std::string> replies_;  // reply text of turns that a later turn follows
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
  auto loaded = LoadBenchWorkload(o.workload);
  if (!loaded.ok()) return loaded.status();
  Runner runner(o, std::move(loaded->items), o.models);
  BenchResult r = runner.Run();
  r.slo_classes = loaded->slo_classes;
  r.closed_loop_sessions = loaded->closed_loop_sessions && o.concurrency == 0;
  std::vector<std::vector<RequestTiming>> by_class(r.slo_classes.size());

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
    if (rec.slo_class >= 0) {  // the request's class (from the trace) decides its targets
      t.slo = r.slo_classes[static_cast<size_t>(rec.slo_class)].slo;
      by_class[static_cast<size_t>(rec.slo_class)].push_back(t);
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
  for (const auto& c : by_class) r.per_class.push_back(SummarizeRequests(c, o.slo, r.wall_s));
  r.send_lag_s = Summarize(lag);
  return r;
}

}  // namespace llms::bench
