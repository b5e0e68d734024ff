// ModelService: a running deployment behind the HTTP API. It loads the served models into the
// host model cache, builds the CPU executors (one per instance, each with its arena), the
// scheduling policy and the RealtimeDriver, and hands each API request's Generation
// (generation.h) to the scheduler, publishing its progress as tokens arrive and telling it when
// the scheduler has released it. It says what the deployment can serve (each model's
// max_model_len: its context, bounded by one instance's KV space) and keeps the server's metrics
// (Prometheus text on demand).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "core/slo.h"
#include "core/status.h"
#include "executor/cpu_executor.h"
#include "server/chat_template.h"
#include "server/generation.h"
#include "server/openai_protocol.h"
#include "server/prometheus.h"
#include "serving/policy.h"
#include "serving/realtime_driver.h"

namespace llms::server {

struct ModelEntry {
  std::string name;
  std::string path;
  std::string tokenizer;          // llama2.c models only
  std::optional<SloTargets> slo;  // this model's own SLOs; the deployment's otherwise
};

struct DeploymentConfig {
  std::vector<ModelEntry> models;
  std::string policy = "aegaeon";
  int prefill_instances = 1;   // Aegaeon: prefill instances, the rest decode
  int instances = 2;           // every instance
  size_t instance_memory = 0;  // bytes per instance arena; 0: the largest model + 64 MiB of KV
  size_t host_kv_bytes = size_t{1} << 30;
  int max_model_len = 0;        // tokens a request may span (prompt + output); 0: what fits
  std::string latency_profile;  // measured latencies to plan with (aegaeon latency --measure)
  std::string step_log;         // CSV of every step the instances run (serving/step_log.h)
  int threads_per_instance = 1;
  int max_queue = 1024;      // waiting requests per model before 429
  int max_in_flight = 8192;  // requests in the server before 503
  double max_round_s = 0.5;  // Aegaeon's Q_max
  SloTargets slo{2.0, 0.2};  // SLOs of models without their own (CPU-sized defaults)
};

class ModelService {
 public:
  static Result<std::unique_ptr<ModelService>> Start(const DeploymentConfig& config);
  ~ModelService();  // stops the scheduler threads (call after draining)

  int FindModel(const std::string& name) const;  // -1 when not served
  const executor::CpuModel& model(int i) const { return *models_[static_cast<size_t>(i)]; }
  ChatFormat chat_format(int i) const { return chat_formats_[static_cast<size_t>(i)]; }
  int num_models() const { return static_cast<int>(models_.size()); }
  std::vector<ModelCard> Cards() const;
  // Tokens a request of model `i` may span (prompt + max_tokens): its context window, bounded by
  // the KV space of one instance (and --max-model-len).
  int MaxModelLen(int i) const { return max_model_len_[static_cast<size_t>(i)]; }
  const DeploymentConfig& config() const { return config_; }

  // The Generation for an API request (parsed and validated by openai_protocol): the prompt
  // rendered (chat) and tokenized, checked against what the deployment serves; an ApiError for
  // an unknown model (404) or a prompt it cannot hold (400). `max_prompt_bytes` bounds the text
  // before it is tokenized; `echo` receives the prompt's text when the request asks for it.
  // Thread-safe (the server's worker threads call it).
  std::variant<std::shared_ptr<Generation>, ApiError> NewGeneration(const GenerationParams& p,
                                                                    size_t max_prompt_bytes,
                                                                    std::string* echo);
  // 404 for a model not served here, listing the served ones.
  ApiError UnknownModel(const std::string& name) const;
  // Hands `g` to the scheduler; an ApiError (429 queue full, 503 draining or over the in-flight
  // limit, 400 beyond what the deployment can hold) when it was not accepted.
  std::optional<ApiError> Submit(const std::shared_ptr<Generation>& g);
  // The client no longer wants `g` (gone, or the server gives up on it): the scheduler drops it
  // if it only waits, or ends it at its next step.
  void Cancel(Generation* g);
  // A request the HTTP layer refused before submitting (counted in the metrics).
  void CountRejected(const std::string& model, int status);

  void BeginDrain() { draining_ = true; }
  bool draining() const { return draining_; }
  int64_t in_flight() const;

  std::string MetricsText() const;
  // Each model's requests waiting and running now, whether an instance holds it, and its
  // max_model_len: what a cluster node publishes (aegaeon serve --cluster).
  struct ModelActivity {
    std::string name;
    int64_t waiting = 0, running = 0;
    bool resident = false;
    int max_model_len = 0;
  };
  std::vector<ModelActivity> Activity() const;

 private:
  explicit ModelService(DeploymentConfig config) : config_(std::move(config)) {}
  std::variant<serving::ServingRequest, ApiError> BuildRequest(const GenerationParams& p, int model,
                                                               size_t max_prompt_bytes,
                                                               std::string* echo);
  void OnProgress(const std::vector<serving::ServingRequest*>& progressed,
                  const std::vector<serving::ServingRequest*>& released);

  DeploymentConfig config_;
  std::vector<std::shared_ptr<const executor::CpuModel>> models_;
  std::vector<ChatFormat> chat_formats_;
  int64_t created_ = 0;
  std::unique_ptr<executor::SequenceStore> store_;
  std::vector<std::unique_ptr<executor::CpuExecutor>> executors_;
  std::unique_ptr<serving::Policy> policy_;
  RealClock clock_;
  std::unique_ptr<serving::StepLog> step_log_;  // declared before the driver: outlives its threads
  std::unique_ptr<serving::RealtimeDriver> driver_;
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> next_id_{1};
  uint64_t seed_base_ = std::random_device{}();  // default seeds differ per request and run
  std::atomic<uint64_t> next_seed_{0};

  // Requests in the scheduler, by id (kept alive here until they finish).
  mutable std::mutex live_mu_;
  std::unordered_map<uint64_t, std::shared_ptr<Generation>> live_;
  struct ModelCounters {
    int64_t completed = 0, failed = 0, cancelled = 0, rejected = 0;
    int64_t met_slo = 0;  // completed within both of the model's SLOs
    int64_t prompt_tokens = 0, generated_tokens = 0;
    int64_t waiting = 0, running = 0;  // gauges
  };
  std::vector<ModelCounters> counters_;  // under live_mu_
  // counters_ with the waiting and running gauges counted from the live requests now.
  std::vector<ModelCounters> CountersNow() const;
  std::vector<SloTargets> slos_;    // per model: its own or the deployment's
  std::vector<int> max_model_len_;  // per model
  std::map<int, int64_t> rejected_by_status_;
  struct Latencies {
    Histogram ttft{LatencyBuckets()}, tbt{LatencyBuckets()}, e2e{LatencyBuckets()};
  };
  std::vector<std::unique_ptr<Latencies>> latency_;  // per model
};

}  // namespace llms::server
