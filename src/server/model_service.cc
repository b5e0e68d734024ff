// The deployment: models, executors, policy and driver; request progress; the server's metrics.
#include "server/model_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace llms::server {

Generation::Progress Generation::Read(size_t from) const {
  std::lock_guard<std::mutex> lock(mu_);
  Progress p;
  p.total = tokens_.size();
  if (from < tokens_.size())
    p.tokens.assign(tokens_.begin() + static_cast<ptrdiff_t>(from), tokens_.end());
  p.finished = finished_;
  p.failed = failed_;
  p.stopped = stopped_;
  p.error = error_;
  return p;
}

void Generation::SetWaker(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mu_);
  wake_ = std::move(wake);
}

size_t Generation::Publish() {
  std::function<void()> wake;
  size_t before;
  {
    std::lock_guard<std::mutex> lock(mu_);
    before = tokens_.size();
    const serving::ServingRequest& r = request_;
    if (r.output.size() > tokens_.size()) {
      tokens_.insert(tokens_.end(), r.output.begin() + static_cast<ptrdiff_t>(tokens_.size()),
                     r.output.end());
    }
    finished_ = r.finished;
    failed_ = r.failed;
    stopped_ = r.stopped;
    error_ = r.error;
    wake = wake_;
  }
  if (wake) wake();
  return before;
}

Result<std::unique_ptr<ModelService>> ModelService::Start(const DeploymentConfig& config) {
  if (config.models.empty())
    return Result<std::unique_ptr<ModelService>>::Error(
        "no models to serve: pass --model NAME=FILE.gguf (or a config file)");
  std::unique_ptr<ModelService> s(new ModelService(config));
  size_t largest = 0;
  std::vector<serving::ServedModel> served;
  for (const ModelEntry& e : config.models) {
    if (s->FindModel(e.name) >= 0) {
      return Result<std::unique_ptr<ModelService>>::Error(
          "model name '" + e.name + "' is given twice: each served model needs its own name");
    }
    auto m = serving::LoadCpuModel(e.name, e.path, e.tokenizer);
    if (!m.ok())
      return Result<std::unique_ptr<ModelService>>::Error(
          fmt::format("model {} ({}): {}", e.name, e.path, m.message()));
    largest = std::max(largest, (*m)->weight_arena_bytes);
    served.push_back(serving::CpuServedModel(**m));
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
  auto policy = serving::MakePolicy(c.policy, served, cluster);
  if (!policy.ok()) return Result<std::unique_ptr<ModelService>>::Error(policy.message());
  s->policy_ = std::move(*policy);
  s->store_ = std::make_unique<serving::SequenceStore>(c.host_kv_bytes);
  std::vector<serving::Executor*> raw;
  for (int i = 0; i < s->policy_->instances(); ++i) {
    s->executors_.push_back(std::make_unique<serving::CpuExecutor>(
        &s->models_, s->store_.get(), c.instance_memory, c.threads_per_instance));
    raw.push_back(s->executors_.back().get());
  }
  s->counters_.resize(s->models_.size());
  s->created_ = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  s->driver_ = std::make_unique<serving::RealtimeDriver>(s->policy_.get(), raw, &s->clock_);
  ModelService* self = s.get();
  s->driver_->SetListener(
      [self](const std::vector<serving::ServingRequest*>& rs) { self->OnProgress(rs); });
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
  for (const auto& m : models_)
    cards.push_back({m->name, created_, m->loaded.model.config.seq_len});
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
  g->request_.id = next_id_++;
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    live_[g->request_.id] = g;
    counters_[static_cast<size_t>(g->model())].prompt_tokens += g->request_.prompt_tokens;
  }
  if (driver_->Submit(&g->request_)) return std::nullopt;
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    live_.erase(g->request_.id);
    counters_[static_cast<size_t>(g->model())].prompt_tokens -= g->request_.prompt_tokens;
  }
  // The policy's reason says whose fault it is (policy.h: the text before ':' is the kind).
  const std::string& name = models_[static_cast<size_t>(g->model())]->name;
  const std::string& why = g->request_.error;
  if (why.rfind("queue full", 0) == 0) {
    e.status = 429;
    e.type = "rate_limit_error";
    e.code = "rate_limit_exceeded";
    e.message = fmt::format("model {} is overloaded: {}; retry later", name, why);
  } else if (why.rfind("not placed", 0) == 0) {
    e.status = 503;
    e.code = "model_not_placed";
    e.message = fmt::format(
        "model {} cannot be served by this deployment ({}): give the "
        "instances more memory or use another policy",
        name, why);
  } else {
    // The request itself can never fit (prompt + max_tokens beyond an instance's KV space).
    e.status = 400;
    e.type = "invalid_request_error";
    e.code = "context_length_exceeded";
    e.param = "max_tokens";
    e.message = fmt::format(
        "model {} cannot hold this request: {}; lower max_tokens or "
        "shorten the prompt",
        name, why);
  }
  CountRejected(name, e.status);
  return e;
}

void ModelService::OnProgress(const std::vector<serving::ServingRequest*>& requests) {
  for (serving::ServingRequest* r : requests) {
    std::lock_guard<std::mutex> lock(live_mu_);
    auto it = live_.find(r->id);
    if (it == live_.end()) continue;
    Generation* g = it->second.get();
    const size_t before = g->Publish();
    // Latencies of the tokens credited since the last report.
    const size_t now = std::min(r->token_s.size(), r->output.size());
    for (size_t k = before; k < now; ++k) {
      if (k == 0) {
        ttft_.Observe(r->token_s[0] - r->arrival_s);
      } else {
        tbt_.Observe(r->token_s[k] - r->token_s[k - 1]);
      }
    }
    ModelCounters& c = counters_[static_cast<size_t>(g->model())];
    c.generated_tokens += static_cast<int64_t>(now > before ? now - before : 0);
    if (r->finished) {
      if (!r->token_s.empty()) e2e_.Observe(r->token_s.back() - r->arrival_s);
      if (r->failed && r->error == "cancelled" && g->satisfied_) {
        ++c.completed;
      } else if (r->failed && r->error == "cancelled") {
        ++c.cancelled;
      } else if (r->failed) {
        ++c.failed;
      } else {
        ++c.completed;
      }
      if (!r->failed || g->satisfied_) {
        const RequestTiming t{r->arrival_s, r->token_s, false, {}};
        c.met_slo += MeetsBothSlos(t, slos_[static_cast<size_t>(g->model())]) ? 1 : 0;
      }
      live_.erase(it);  // last: `g` lives in this entry
    }
  }
}

std::string ModelService::MetricsText() const {
  PromWriter w;
  std::vector<ModelCounters> counters;
  std::map<int, int64_t> rejected;
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    counters = counters_;
    rejected = rejected_by_status_;
    for (auto& c : counters) c.waiting = c.running = 0;
    for (const auto& [id, g] : live_) {
      auto& c = counters[static_cast<size_t>(g->model())];
      (g->Read(SIZE_MAX).total == 0 ? c.waiting : c.running) += 1;
    }
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
  w.Sample("aegaeon_switches_total", {}, static_cast<double>(ps.switches.size()));
  serving::SwitchPhases sum;
  for (const auto& s : ps.switches) sum += s.phases;
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
  const serving::SequenceStore::Stats st = store_->stats();
  w.Family("aegaeon_kv_sequences", "gauge",
           "Requests holding KV cache (on an instance or in the host KV pool).");
  w.Sample("aegaeon_kv_sequences", {}, static_cast<double>(st.sequences));
  w.Family("aegaeon_host_kv_bytes", "gauge", "Bytes of the host KV pool in use.");
  w.Sample("aegaeon_host_kv_bytes", {}, static_cast<double>(st.host_bytes_in_use));
  w.Family("aegaeon_host_kv_slab_bytes", "gauge",
           "Bytes of the host KV pool held by slabs bound to a KV shape.");
  w.Sample("aegaeon_host_kv_slab_bytes", {}, static_cast<double>(st.host_bytes_in_slabs));
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
           "From arrival at the scheduler to the first output token.");
  ttft_.Write(&w, "aegaeon_time_to_first_token_seconds", {});
  w.Family("aegaeon_time_between_tokens_seconds", "histogram",
           "Between consecutive output tokens of a request.");
  tbt_.Write(&w, "aegaeon_time_between_tokens_seconds", {});
  w.Family("aegaeon_request_latency_seconds", "histogram",
           "From arrival to the last output token.");
  e2e_.Write(&w, "aegaeon_request_latency_seconds", {});
  return w.text();
}

}  // namespace llms::server
