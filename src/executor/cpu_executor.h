// CpuExecutor: the scheduler's Executor (serving/executor.h) on the project's CPU engine. Each
// instance owns a fixed InstanceArena (its "device memory"): a switch moves the outgoing model's
// sequences' KV blocks to the host KV pool, resets the arena, copies the incoming model's weights
// into it from the host model cache (the memory-mapped model files, loaded once), builds the KV
// cache on the rest of the arena and moves the incoming batch's KV blocks back in, timing each
// phase. Prefill runs all of a batch's prompts in one forward pass and samples each first token; a
// decode step runs one token of every sequence of the batch in one pass. Sequences travel between
// instances (prefill to decode, decode instance to host and back) through the SequenceStore, which
// holds the host KV pool and each request's sampler; executors run on their own threads and share
// only the store.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "engine/kv_cache.h"
#include "engine/model_loader.h"
#include "engine/sampler.h"
#include "engine/transformer.h"
#include "executor/host_kv_pool.h"
#include "executor/instance_arena.h"
#include "serving/executor.h"
#include "serving/latency_fit.h"
#include "serving/served_model.h"

namespace llms::executor {

// One served model in the host model cache: its weights stay mapped for the deployment's life.
struct CpuModel {
  std::string name;
  engine::LoadedModel loaded;
  size_t weight_arena_bytes = 0;  // engine::WeightsArenaBytes
  size_t kv_block_bytes = 0;      // engine::KvCache::BlockBytes
};

// Loads a model file (GGUF, or llama2.c with its tokenizer) into the host model cache.
Result<std::shared_ptr<const CpuModel>> LoadCpuModel(const std::string& name,
                                                     const std::string& path,
                                                     const std::string& tokenizer_path = "");

// The scheduler's view of a CPU model: arena bytes of its weights, KV bytes per token, and a
// rough latency predictor (memory- and compute-bound estimates for this CPU) for planning.
serving::ServedModel CpuServedModel(const CpuModel& model, double bandwidth_bytes_per_s = 10e9,
                                    double flops = 20e9);
// The same with the latencies measured on this machine (cpu_profile.h) to plan with.
serving::ServedModel CpuServedModel(const CpuModel& model, const serving::ModelLatency& measured);

// Host-side state shared by every CpuExecutor of a deployment. Thread-safe.
class SequenceStore {
 public:
  static constexpr size_t kSlabBytes = size_t{4} << 20;
  SequenceStore(size_t host_kv_bytes, size_t slab_bytes = kSlabBytes);

  struct Stats {
    int64_t blocks_out = 0, blocks_in = 0;
    size_t host_bytes_in_use = 0, host_bytes_in_slabs = 0;
    double host_fragmentation = 0;
    int64_t sequences = 0;           // requests holding KV (on an instance or in the host pool)
    size_t host_overflow_bytes = 0;  // slabs allocated past the pool's capacity
  };
  Stats stats() const;
  // How many times the request's KV came back into an instance from the host pool.
  int KvReturns(uint64_t request) const;

 private:
  friend class CpuExecutor;
  struct Sequence {
    std::vector<HostKvBlock> host_blocks;  // KV in the host pool (when not on an instance)
    size_t block_bytes = 0;
    int length = 0;            // positions in the KV cache
    int last_token = 0;        // input of the next decode step
    std::vector<int> context;  // prompt + output, for the penalties
    size_t prompt_tokens = 0;
    std::unique_ptr<engine::Sampler> sampler;
  };
  mutable std::mutex mu_;
  HostKvPool pool_;
  std::unordered_map<uint64_t, Sequence> seqs_;
  std::unordered_map<uint64_t, int> returns_;
  Stats stats_;
};

class CpuExecutor : public serving::Executor {
 public:
  // `models`: the served models by index (outlive the executor); `threads`: compute threads.
  CpuExecutor(const std::vector<std::shared_ptr<const CpuModel>>* models, SequenceStore* store,
              size_t arena_bytes, int threads = 1);
  serving::ActionResult Run(const serving::Action& action) override;
  const InstanceArena& arena() const { return arena_; }
  // Gauges any thread may read, updated after each action: the model the instance holds (-1:
  // none) and its KV cache blocks in all and in use.
  int resident_model() const { return resident_model_.load(std::memory_order_relaxed); }
  int kv_blocks() const { return kv_blocks_.load(std::memory_order_relaxed); }
  int kv_blocks_used() const { return kv_blocks_used_.load(std::memory_order_relaxed); }

 private:
  void Switch(const serving::Action& a, serving::SwitchPhases* phases);
  // Loads `model` first when the instance holds another one (policies that never switch
  // explicitly: dedicated and multiplexing instances).
  bool Ensure(int model);
  // Whether `r` can take part in a step of `model` now: not finished, not cancelled (then ended
  // as such), and the model's weights in place (else it fails with why).
  bool Runnable(serving::ServingRequest* r, int model);
  void Prefill(const serving::Action& a);
  void Decode(const serving::Action& a);
  // KV of a request between this instance and the host pool; false (request failed) on no room.
  bool MoveOut(
      serving::ServingRequest* r);  // never fails for lack of room (the pool grows past its cap)
  bool MoveIn(serving::ServingRequest* r);
  void Fail(serving::ServingRequest* r, serving::FinishReason why, const std::string& message);
  // Places model `m`'s weights in the reset arena, refusing a file truncated since it was loaded.
  Status PlaceModelWeights(const CpuModel& m);
  // Samples the next token from `logits`, appends it (unless it ends the request) and frees the
  // request's blocks when it is finished.
  void Advance(serving::ServingRequest* r, std::span<const float> logits);
  // Moves every sequence here that is not in `keep` to the host pool.
  void MoveOutAllBut(const std::vector<serving::ServingRequest*>& keep);
  // Runs rows_ (one row with logits per request of `live`, in order) and advances each request.
  void ForwardAndAdvance(const std::vector<serving::ServingRequest*>& live);

  const std::vector<std::shared_ptr<const CpuModel>>* models_;
  SequenceStore* store_;
  InstanceArena arena_;
  ThreadPool pool_;
  int model_ = -1;
  std::optional<engine::Model> placed_;
  std::unique_ptr<engine::KvCache> cache_;
  std::unique_ptr<engine::Transformer> transformer_;
  struct Resident {
    engine::BlockTable table;
    serving::ServingRequest* request = nullptr;
  };
  std::unordered_map<uint64_t, Resident> tables_;  // sequences whose KV is here
  std::vector<engine::BatchRow> rows_;
  std::string load_error_;  // why the last switch could not load its model
  std::atomic<int> resident_model_{-1}, kv_blocks_{0}, kv_blocks_used_{0};
};

}  // namespace llms::executor
