// The deployment: models, executors, policy and driver; request progress; the server's metrics.
#include "server/model_service.h"

#include "executor/cpu_profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>

namespace llms::server {

Result<std::unique_ptr<ModelService>> ModelService::Start(const DeploymentConfig& config) {
  if (config.models.empty())
    return Result<std::unique_ptr<ModelService>>::Error(
        "no models to serve: pass --model NAME=FILE.gguf (or a config file)");
  std::unique_ptr<ModelService> s(new ModelService(config));
  size_t largest = 0;
  std::vector<serving::ServedModel> served;
  std::vector<serving::ModelLatency> measured;
  if (!config.latency_profile.empty()) {
    auto profile = serving::ReadLatencyProfile(config.latency_profile);
    if (!profile.ok()) return Result<std::unique_ptr<ModelService>>::Error(profile.message());
    measured = std::move(*profile);
  }
  for (const ModelEntry& e : config.models) {
    if (s->FindModel(e.name) >= 0) {
      return Result<std::unique_ptr<ModelService>>::Error(
          "model name '" + e.name + "' is given twice: each served model needs its own name");
    }
    auto m = executor::LoadCpuModel(e.name, e.path, e.tokenizer);
    if (!m.ok())
      return Result<std::unique_ptr<ModelService>>::Error(
          fmt::format("model {} ({}): {}", e.name, e.path, m.message()));
    largest = std::max(largest, (*m)->weight_arena_bytes);
    const serving::ModelLatency* lat =
        serving::FindLatency(measured, e.name, static_cast<double>((*m)->weight_arena_bytes),
                             static_cast<double>((*m)->kv_block_bytes) / serving::kKvBlockTokens);
    if (!measured.empty() && lat == nullptr) {
      return Result<std::unique_ptr<ModelService>>::Error(fmt::format(
          "model {}: {} has no entry for it (nor for a model of its size): measure it with "
          "aegaeon latency --measure --model {}={}",
          e.name, config.latency_profile, e.name, e.path));
    }
    served.push_back(lat ? executor::CpuServedModel(**m, *lat) : executor::CpuServedModel(**m));
    s->slos_.push_back(e.slo.value_or(config.slo));
    served.back().tpot_slo_s = s->slos_.back().tpot_s;
    s->chat_formats_.push_back(DetectChatFormat((*m)->loaded.chat_template));
    s->models_.push_back(*m);
  }
  DeploymentConfig& c = s->config_;
  if (c.instance_memory == 0) c.instance_memory = largest + (size_t{64} << 20);
  if (c.instance_memory < largest) {
    return Result<std::unique_ptr<ModelService>>::Error(fmt::format(
        "--instance-memory {} MiB is smaller than the largest model's weights ({} MiB): give more",
        c.instance_memory >> 20, (largest + (1 << 20) - 1) >> 20));
  }
  serving::ClusterSpec cluster;
  cluster.instances = c.instances;
  cluster.prefill_instances = c.prefill_instances;
  cluster.instance_memory = static_cast<double>(c.instance_memory);
  cluster.slo = c.slo;
  cluster.max_queue = c.max_queue;
  cluster.max_round_s = c.max_round_s;
  cluster.multiplex_kv_reserve = 16 << 20;
  cluster.host_kv_bytes = static_cast<double>(c.host_kv_bytes);
  cluster.host_kv_slab_bytes = static_cast<double>(executor::SequenceStore::kSlabBytes);
  cluster.record_switches = false;  // a server keeps the sums only (a history would grow forever)
  auto policy = serving::MakePolicy(c.policy, served, cluster);
  if (!policy.ok()) return Result<std::unique_ptr<ModelService>>::Error(policy.message());
  s->policy_ = std::move(*policy);
  s->store_ = std::make_unique<executor::SequenceStore>(c.host_kv_bytes);
  std::vector<serving::Executor*> raw;
  for (int i = 0; i < s->policy_->instances(); ++i) {
    s->executors_.push_back(std::make_unique<executor::CpuExecutor>(
        &s->models_, s->store_.get(), c.instance_memory, c.threads_per_instance));
    raw.push_back(s->executors_.back().get());
  }
  s->counters_.resize(s->models_.size());
  for (size_t i = 0; i < served.size(); ++i) {
    s->latency_.push_back(std::make_unique<Latencies>());
    // What one request may span: the context window, one instance's KV blocks (every policy
    // admits against those) and the operator's cap.
    int64_t len = s->models_[i]->loaded.model.config.seq_len;
    len = std::min(len, serving::KvCapacityBlocks(served[i], cluster.instance_memory) *
                            serving::kKvBlockTokens);
    if (c.max_model_len > 0) len = std::min<int64_t>(len, c.max_model_len);
    s->max_model_len_.push_back(static_cast<int>(len));
  }
  s->created_ = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  s->driver_ = std::make_unique<serving::RealtimeDriver>(s->policy_.get(), raw, &s->clock_);
  if (!c.step_log.empty()) {
    std::vector<serving::StepLogModel> named;
    for (const auto& m : s->models_) {
      named.push_back({m->name, static_cast<double>(m->weight_arena_bytes),
                       static_cast<double>(m->kv_block_bytes) / serving::kKvBlockTokens});
    }
    auto log = serving::StepLog::Open(c.step_log, std::move(named));
    if (!log.ok()) return Result<std::unique_ptr<ModelService>>::Error(log.message());
    s->step_log_ = std::move(*log);
    serving::StepLog* sink = s->step_log_.get();
    s->driver_->SetStepObserver(sink->models(), [sink](serving::StepRecord r) { sink->Append(r); });
  }
  ModelService* self = s.get();
  s->driver_->SetListener([self](const std::vector<serving::ServingRequest*>& progressed,
                                 const std::vector<serving::ServingRequest*>& released) {
    self->OnProgress(progressed, released);
  });
  return s;
}

ModelService::~ModelService() {
  driver_.reset();  // joins the instance threads before the executors go
}

int ModelService::FindModel(const std::string& name) const {
  for (size_t i = 0; i < models_.size(); ++i) {
    if (models_[i]->name == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<ModelCard> ModelService::Cards() const {
  std::vector<ModelCard> cards;
  for (size_t i = 0; i < models_.size(); ++i) {
    cards.push_back({models_[i]->name, created_, max_model_len_[i]});
  }
  return cards;
}

int64_t ModelService::in_flight() const {
  std::lock_guard<std::mutex> lock(live_mu_);
  return static_cast<int64_t>(live_.size());
}

void ModelService::CountRejected(const std::string& model, int status) {
  std::lock_guard<std::mutex> lock(live_mu_);
  ++rejected_by_status_[status];
  const int m = FindModel(model);
  if (m >= 0) ++counters_[static_cast<size_t>(m)].rejected;
}

std::optional<ApiError> ModelService::Submit(const std::shared_ptr<Generation>& g) {
  ApiError e;
  e.type = "server_error";
  if (draining_) {
    e.status = 503;
    e.message = "the server is shutting down and takes no new requests: retry on another replica";
    e.code = "service_unavailable";
  } else if (in_flight() >= config_.max_in_flight) {
    e.status = 503;
    e.message =
        fmt::format("the server holds {} requests, its limit (--max-in-flight): retry later",
                    config_.max_in_flight);
    e.code = "overloaded";
  }
  if (e.status == 503) {
    CountRejected(models_[static_cast<size_t>(g->model())]->name, 503);
    return e;
  }
  serving::ServingRequest& r = g->request();
  r.id = next_id_++;
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    live_[r.id] = g;
    counters_[static_cast<size_t>(g->model())].prompt_tokens += r.prompt_tokens;
  }
  if (driver_->Submit(&r)) return std::nullopt;
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    live_.erase(r.id);
    counters_[static_cast<size_t>(g->model())].prompt_tokens -= r.prompt_tokens;
  }
  const std::string& name = models_[static_cast<size_t>(g->model())]->name;
  switch (r.reject) {
    case serving::RejectReason::kQueueFull:
      e.status = 429;
      e.type = "rate_limit_error";
      e.code = "rate_limit_exceeded";
      e.message = fmt::format("model {} is overloaded: {}; retry later", name, r.error);
      break;
    case serving::RejectReason::kNotPlaced:
      e.status = 503;
      e.code = "model_not_placed";
      e.message = fmt::format(
          "model {} cannot be served by this deployment ({}): give the instances more memory or "
          "use another policy",
          name, r.error);
      break;
    case serving::RejectReason::kTooLarge:
    case serving::RejectReason::kNone:
      // The request itself can never fit (prompt + max_tokens beyond the KV space).
      e.status = 400;
      e.type = "invalid_request_error";
      e.code = "context_length_exceeded";
      e.param = "max_tokens";
      e.message = fmt::format(
          "model {} cannot hold this request: {}; lower max_tokens or "
          "shorten the prompt",
          name, r.error);
      break;
  }
  CountRejected(name, e.status);
  return e;
}

ApiError ModelService::UnknownModel(const std::string& name) const {
  std::string names;
  for (const ModelCard& c : Cards()) names += (names.empty() ? "" : ", ") + c.id;
  ApiError e;
  e.status = 404;
  e.message = fmt::format("the model '{}' does not exist here; served models: {}", name, names);
  e.param = "model";
  e.code = "model_not_found";
  return e;
}

std::variant<std::shared_ptr<Generation>, ApiError> ModelService::NewGeneration(
    const GenerationParams& p, size_t max_prompt_bytes, std::string* echo) {
  const int model = FindModel(p.model);
  if (model < 0) {
    CountRejected(p.model, 404);
    return UnknownModel(p.model);
  }
  auto built = BuildRequest(p, model, max_prompt_bytes, echo);
  if (auto* e = std::get_if<ApiError>(&built)) {
    CountRejected(p.model, e->status);
    return *e;
  }
  return std::make_shared<Generation>(model, std::move(std::get<serving::ServingRequest>(built)),
                                      *models_[static_cast<size_t>(model)]->loaded.tokenizer,
                                      p.stop);
}

std::variant<serving::ServingRequest, ApiError> ModelService::BuildRequest(
    const GenerationParams& p, int model, size_t max_prompt_bytes, std::string* echo) {
  const executor::CpuModel& m = *models_[static_cast<size_t>(model)];
  const engine::Tokenizer& tok = *m.loaded.tokenizer;
  const int max_len = MaxModelLen(model);
  const std::string field = p.chat ? "messages" : "prompt";
  serving::ServingRequest r;
  if (p.prompt_is_tokens) {
    for (int32_t t : p.prompt_tokens) {
      if (t >= tok.vocab_size()) {
        return BadRequest(fmt::format("token id {} is outside {}'s vocabulary (0 to {})", t,
                                      p.model, tok.vocab_size() - 1),
                          "prompt");
      }
    }
    r.prompt = p.prompt_tokens;
    if (p.echo) {
      for (size_t i = 0; i < r.prompt.size(); ++i) {
        *echo += tok.DecodePiece(i == 0 ? tok.bos() : r.prompt[i - 1], r.prompt[i]);
      }
    }
  } else {
    // A chat prompt's template markers are parsed as special tokens, its messages' contents (and
    // a completions prompt) never: a user cannot inject control tokens by typing them.
    std::vector<ChatPiece> pieces;
    if (p.chat) pieces = RenderChatPieces(chat_format(model), p.messages);
    std::string text = p.prompt_text;
    if (p.chat) {
      text.clear();
      for (const ChatPiece& piece : pieces) text += piece.text;
    }
    // Checked before any work: tokenizing is linear, but a prompt beyond any context is
    // refused without spending it.
    if (text.size() > max_prompt_bytes) {
      return BadRequest(fmt::format("the prompt has {} bytes; this server takes at most {} "
                                    "(--max-prompt-mb), and {} holds {} tokens",
                                    text.size(), max_prompt_bytes, p.model, max_len),
                        field);
    }
    if (p.chat && tok.ParsesSpecialTokens()) {
      if (tok.add_bos()) r.prompt.push_back(tok.bos());
      for (const ChatPiece& piece : pieces) {
        for (int t : tok.Encode(piece.text, false, piece.from_template)) r.prompt.push_back(t);
      }
    } else {
      // (SentencePiece vocabularies read no special tokens from text: one pass over it all.)
      for (int t : tok.Encode(text, tok.add_bos())) r.prompt.push_back(t);
    }
    if (p.echo) *echo = p.prompt_text;
  }
  const int n = static_cast<int>(r.prompt.size());
  if (n == 0) return BadRequest("the prompt is empty", field);
  if (n >= max_len) {
    ApiError e = BadRequest(fmt::format("this deployment serves at most {} tokens per request "
                                        "for {}; the prompt has {}: shorten it",
                                        max_len, p.model, n),
                            field);
    e.code = "context_length_exceeded";
    return e;
  }
  const int max_tokens = p.max_tokens.value_or(p.chat ? max_len - n : std::min(16, max_len - n));
  if (n + max_tokens > max_len) {
    ApiError e = BadRequest(
        fmt::format("this deployment serves at most {} tokens per request for {}; you asked "
                    "for {} ({} in the prompt, {} in the completion): lower max_tokens or "
                    "shorten the prompt",
                    max_len, p.model, n + max_tokens, n, max_tokens),
        "max_tokens");
    e.code = "context_length_exceeded";
    return e;
  }
  for (const auto& [id, bias] : p.logit_bias) {
    if (id >= tok.vocab_size()) {
      return BadRequest(fmt::format("logit_bias: token id {} is outside {}'s vocabulary (0 to "
                                    "{})",
                                    id, p.model, tok.vocab_size() - 1),
                        "logit_bias");
    }
    r.logit_bias.emplace_back(id, bias);
  }
  r.model = model;
  r.prompt_tokens = n;
  r.max_output_tokens = max_tokens;
  r.temperature = p.temperature;
  r.top_p = p.top_p;
  r.top_k = p.top_k;
  r.frequency_penalty = p.frequency_penalty;
  r.presence_penalty = p.presence_penalty;
  r.repetition_penalty = p.repetition_penalty;
  r.repeat_last_n = p.repeat_last_n;
  r.min_p = p.min_p;
  r.logprobs = p.logprobs.value_or(-1);
  r.seed = p.seed.value_or(seed_base_ + next_seed_++);
  r.ignore_eos = p.ignore_eos;
  return r;
}

void ModelService::Cancel(Generation* g) {
  driver_->Cancel(&g->request());
}

void ModelService::OnProgress(const std::vector<serving::ServingRequest*>& progressed,
                              const std::vector<serving::ServingRequest*>& released) {
  std::lock_guard<std::mutex> lock(live_mu_);
  for (serving::ServingRequest* r : progressed) {
    auto it = live_.find(r->id);
    if (it == live_.end()) continue;
    Generation* g = it->second.get();
    g->Publish();
    // Latencies of the tokens credited since the last report.
    const size_t m = static_cast<size_t>(g->model());
    Latencies& lat = *latency_[m];
    const size_t n = std::min(r->token_s.size(), r->output.size());
    for (size_t& k = g->observed_; k < n; ++k) {
      if (k == 0) {
        lat.ttft.Observe(r->token_s[0] - r->arrival_s);
      } else {
        lat.tbt.Observe(r->token_s[k] - r->token_s[k - 1]);
      }
      ++counters_[m].generated_tokens;
    }
  }
  for (serving::ServingRequest* r : released) {
    auto it = live_.find(r->id);
    if (it == live_.end()) continue;
    Generation* g = it->second.get();
    const size_t m = static_cast<size_t>(g->model());
    ModelCounters& c = counters_[m];
    const size_t n = std::min(r->token_s.size(), r->output.size());
    if (n > 0) latency_[m]->e2e.Observe(r->token_s[n - 1] - r->arrival_s);
    const bool satisfied = g->satisfied();
    if (r->finish == serving::FinishReason::kCancelled && !satisfied) {
      ++c.cancelled;
    } else if (r->failed() && !satisfied) {
      ++c.failed;
      if (r->finish == serving::FinishReason::kInternal) {
        fmt::print(stderr, "aegaeon serve: internal error on request {} (model {}): {}\n", r->id,
                   models_[m]->name, r->error);
      }
    } else {
      ++c.completed;
      const RequestTiming t{r->arrival_s, r->token_s, false, {}};
      c.met_slo += MeetsBothSlos(t, slos_[m]) ? 1 : 0;
    }
    g->MarkReleased();
    live_.erase(it);  // last: `g` lives in this entry
  }
}

std::vector<ModelService::ModelCounters> ModelService::CountersNow() const {
  std::lock_guard<std::mutex> lock(live_mu_);
  std::vector<ModelCounters> counters = counters_;
  for (auto& c : counters) c.waiting = c.running = 0;
  for (const auto& [id, g] : live_) {
    auto& c = counters[static_cast<size_t>(g->model())];
    (g->Read(SIZE_MAX).tokens == 0 ? c.waiting : c.running) += 1;
  }
  return counters;
}

std::vector<ModelService::ModelActivity> ModelService::Activity() const {
  const std::vector<ModelCounters> counters = CountersNow();
  std::vector<ModelActivity> out;
  for (size_t i = 0; i < models_.size(); ++i) {
    ModelActivity a;
    a.name = models_[i]->name;
    a.waiting = counters[i].waiting;
    a.running = counters[i].running;
    a.max_model_len = max_model_len_[i];
    for (const auto& e : executors_) a.resident |= e->resident_model() == static_cast<int>(i);
    out.push_back(std::move(a));
  }
  return out;
}

std::string ModelService::MetricsText() const {
  PromWriter w;
  const std::vector<ModelCounters> counters = CountersNow();
  std::map<int, int64_t> rejected;
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    rejected = rejected_by_status_;
  }
  auto per_model = [&](const std::string& name, const std::string& type, const std::string& help,
                       auto field) {
    w.Family(name, type, help);
    for (size_t i = 0; i < models_.size(); ++i) {
      w.Sample(name, {{"model", models_[i]->name}}, static_cast<double>(counters[i].*field));
    }
  };
  w.Family("aegaeon_requests_total", "counter",
           "Requests that left the server, by model and outcome.");
  for (size_t i = 0; i < models_.size(); ++i) {
    const ModelCounters& c = counters[i];
    for (auto [outcome, v] : {std::pair<const char*, int64_t>{"completed", c.completed},
                              {"failed", c.failed},
                              {"cancelled", c.cancelled},
                              {"rejected", c.rejected}}) {
      w.Sample("aegaeon_requests_total", {{"model", models_[i]->name}, {"outcome", outcome}},
               static_cast<double>(v));
    }
  }
  w.Family("aegaeon_rejected_total", "counter", "Requests refused, by HTTP status.");
  for (auto [status, n] : rejected) {
    w.Sample("aegaeon_rejected_total", {{"status", std::to_string(status)}},
             static_cast<double>(n));
  }
  per_model("aegaeon_requests_met_slo_total", "counter",
            "Completed requests within both of their model's SLOs (TTFT, mean TPOT).",
            &ModelCounters::met_slo);
  w.Family("aegaeon_model_slo_seconds", "gauge",
           "Each model's SLO targets (its own, or the deployment's).");
  for (size_t i = 0; i < models_.size(); ++i) {
    w.Sample("aegaeon_model_slo_seconds", {{"model", models_[i]->name}, {"target", "ttft"}},
             slos_[i].ttft_s);
    w.Sample("aegaeon_model_slo_seconds", {{"model", models_[i]->name}, {"target", "tpot"}},
             slos_[i].tpot_s);
  }
  per_model("aegaeon_prompt_tokens_total", "counter", "Prompt tokens of accepted requests.",
            &ModelCounters::prompt_tokens);
  per_model("aegaeon_generation_tokens_total", "counter", "Output tokens produced.",
            &ModelCounters::generated_tokens);
  per_model("aegaeon_requests_waiting", "gauge",
            "Requests in the scheduler that have no token yet (queued for prefill).",
            &ModelCounters::waiting);
  per_model("aegaeon_requests_running", "gauge", "Requests in the scheduler that are decoding.",
            &ModelCounters::running);

  const serving::PolicyStats ps = driver_->stats();
  w.Family("aegaeon_switches_total", "counter", "Model switches (auto-scaling steps).");
  w.Sample("aegaeon_switches_total", {}, static_cast<double>(ps.switch_count));
  const serving::SwitchPhases& sum = ps.switch_phases;
  w.Family("aegaeon_switch_phase_seconds_total", "counter",
           "Time spent in each phase of the model switches.");
  for (auto [phase, v] : {std::pair<const char*, double>{"stop", sum.stop_s},
                          {"kv_out", sum.kv_out_s},
                          {"weights_in", sum.weights_in_s},
                          {"kv_in", sum.kv_in_s},
                          {"first_step", sum.first_step_s}}) {
    w.Sample("aegaeon_switch_phase_seconds_total", {{"phase", phase}}, v);
  }
  w.Family("aegaeon_instance_busy_seconds_total", "counter", "Time each instance spent working.");
  for (size_t i = 0; i < ps.busy_s.size(); ++i) {
    w.Sample("aegaeon_instance_busy_seconds_total", {{"instance", std::to_string(i)}},
             ps.busy_s[i]);
  }
  w.Family("aegaeon_instance_resident_model", "gauge",
           "1 for the model an instance holds in its arena now.");
  for (size_t i = 0; i < executors_.size(); ++i) {
    const int m = executors_[i]->resident_model();
    if (m >= 0) {
      w.Sample("aegaeon_instance_resident_model",
               {{"instance", std::to_string(i)}, {"model", models_[static_cast<size_t>(m)]->name}},
               1);
    }
  }
  w.Family("aegaeon_instance_kv_blocks", "gauge", "KV cache blocks of an instance's arena.");
  for (size_t i = 0; i < executors_.size(); ++i) {
    w.Sample("aegaeon_instance_kv_blocks", {{"instance", std::to_string(i)}},
             executors_[i]->kv_blocks());
  }
  w.Family("aegaeon_instance_kv_blocks_used", "gauge", "KV cache blocks in use on an instance.");
  for (size_t i = 0; i < executors_.size(); ++i) {
    w.Sample("aegaeon_instance_kv_blocks_used", {{"instance", std::to_string(i)}},
             executors_[i]->kv_blocks_used());
  }
  const executor::SequenceStore::Stats st = store_->stats();
  w.Family("aegaeon_kv_sequences", "gauge",
           "Requests holding KV cache (on an instance or in the host KV pool).");
  w.Sample("aegaeon_kv_sequences", {}, static_cast<double>(st.sequences));
  w.Family("aegaeon_host_kv_bytes", "gauge", "Bytes of the host KV pool in use.");
  w.Sample("aegaeon_host_kv_bytes", {}, static_cast<double>(st.host_bytes_in_use));
  w.Family("aegaeon_host_kv_slab_bytes", "gauge",
           "Bytes of the host KV pool held by slabs bound to a KV shape.");
  w.Sample("aegaeon_host_kv_slab_bytes", {}, static_cast<double>(st.host_bytes_in_slabs));
  w.Family("aegaeon_host_kv_overflow_bytes", "gauge",
           "Bytes of host KV slabs allocated past the pool's capacity (fragmentation across KV "
           "shapes).");
  w.Sample("aegaeon_host_kv_overflow_bytes", {}, static_cast<double>(st.host_overflow_bytes));
  w.Family("aegaeon_host_kv_fragmentation", "gauge",
           "Share of the slabs' bytes no KV block uses (1 - in use / in slabs).");
  w.Sample("aegaeon_host_kv_fragmentation", {}, st.host_fragmentation);
  w.Family("aegaeon_kv_blocks_moved_total", "counter",
           "KV blocks moved between instances and the host pool.");
  w.Sample("aegaeon_kv_blocks_moved_total", {{"direction", "out"}},
           static_cast<double>(st.blocks_out));
  w.Sample("aegaeon_kv_blocks_moved_total", {{"direction", "in"}},
           static_cast<double>(st.blocks_in));
  w.Family("aegaeon_draining", "gauge", "1 while the server drains before shutting down.");
  w.Sample("aegaeon_draining", {}, draining_ ? 1 : 0);
  w.Family("aegaeon_time_to_first_token_seconds", "histogram",
           "From arrival at the scheduler to the first output token, by model.");
  for (size_t i = 0; i < models_.size(); ++i) {
    latency_[i]->ttft.Write(&w, "aegaeon_time_to_first_token_seconds",
                            {{"model", models_[i]->name}});
  }
  w.Family("aegaeon_time_between_tokens_seconds", "histogram",
           "Between consecutive output tokens of a request, by model.");
  for (size_t i = 0; i < models_.size(); ++i) {
    latency_[i]->tbt.Write(&w, "aegaeon_time_between_tokens_seconds",
                           {{"model", models_[i]->name}});
  }
  w.Family("aegaeon_request_latency_seconds", "histogram",
           "From arrival to the last output token, by model.");
  for (size_t i = 0; i < models_.size(); ++i) {
    latency_[i]->e2e.Write(&w, "aegaeon_request_latency_seconds", {{"model", models_[i]->name}});
  }
  return w.text();
}

}  // namespace llms::server
