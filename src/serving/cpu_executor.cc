// The CPU engine behind the scheduler's Executor seam: switches, batched prefill and decode steps,
// KV moves through the host pool.
#include "serving/cpu_executor.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "engine/weights_arena.h"

namespace llms::serving {

namespace {

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Memory- and compute-bound estimates of a model's steps on this CPU (planning only: the
// executor measures what really happens).
class CpuLatency : public LatencyPredictor {
 public:
  CpuLatency(double weight_bytes, double params, double kv_per_token, double bandwidth,
             double flops)
      : weight_bytes_(weight_bytes),
        params_(params),
        kv_per_token_(kv_per_token),
        bandwidth_(bandwidth),
        flops_(flops) {}
  double PrefillSeconds(std::span<const int> lengths) const override {
    double tokens = 0;
    for (int l : lengths) tokens += l;
    return weight_bytes_ / bandwidth_ + 2 * params_ * tokens / flops_;
  }
  double DecodeSeconds(int64_t sum_context, int batch) const override {
    return (weight_bytes_ + kv_per_token_ * static_cast<double>(sum_context)) / bandwidth_ +
           2 * params_ * batch / flops_;
  }
  double LoadSeconds() const override { return 2 * weight_bytes_ / bandwidth_; }
  double KvMoveSeconds(double bytes) const override { return 2 * bytes / bandwidth_; }

 private:
  double weight_bytes_, params_, kv_per_token_, bandwidth_, flops_;
};

}  // namespace

Result<std::shared_ptr<const CpuModel>> LoadCpuModel(const std::string& name,
                                                     const std::string& path,
                                                     const std::string& tokenizer_path) {
  auto loaded = engine::LoadModelFiles(path, tokenizer_path);
  if (!loaded.ok()) return loaded.status().WithContext("model " + name);
  auto m = std::make_shared<CpuModel>();
  m->name = name;
  m->loaded = std::move(*loaded);
  m->weight_arena_bytes = engine::WeightsArenaBytes(m->loaded.model);
  m->kv_block_bytes = engine::KvCache::BlockBytes(m->loaded.model.config);
  return std::shared_ptr<const CpuModel>(std::move(m));
}

ServedModel CpuServedModel(const CpuModel& model, double bandwidth, double flops) {
  const engine::ModelConfig& c = model.loaded.model.config;
  const double params =
      static_cast<double>(c.n_layers) *
          (2.0 * c.dim * c.dim + 2.0 * c.kv_dim() * c.dim + 3.0 * c.dim * c.hidden_dim) +
      static_cast<double>(c.vocab_size) * c.dim;
  const double kv_per_token =
      static_cast<double>(model.kv_block_bytes) / engine::KvCache::kBlockTokens;
  ServedModel m;
  m.name = model.name;
  m.weight_bytes = static_cast<double>(model.weight_arena_bytes);
  m.kv_bytes_per_token = kv_per_token;
  m.layers = c.n_layers;
  m.latency = std::make_shared<CpuLatency>(m.weight_bytes, params, kv_per_token, bandwidth, flops);
  return m;
}

SequenceStore::SequenceStore(size_t host_kv_bytes, size_t slab_bytes)
    : pool_(slab_bytes, host_kv_bytes) {}

SequenceStore::Stats SequenceStore::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  s.host_bytes_in_use = pool_.bytes_in_use();
  s.host_bytes_in_slabs = pool_.bytes_in_slabs();
  s.host_fragmentation = pool_.fragmentation();
  s.sequences = static_cast<int64_t>(seqs_.size());
  return s;
}

int SequenceStore::KvReturns(uint64_t request) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = returns_.find(request);
  return it == returns_.end() ? 0 : it->second;
}

CpuExecutor::CpuExecutor(const std::vector<std::shared_ptr<const CpuModel>>* models,
                         SequenceStore* store, size_t arena_bytes, int threads)
    : models_(models), store_(store), arena_(arena_bytes), pool_(threads) {}

ActionResult CpuExecutor::Run(const Action& a) {
  const auto t0 = std::chrono::steady_clock::now();
  ActionResult result;
  switch (a.kind) {
    case ActionKind::kSwitch:
      Switch(a, &result.phases);
      break;
    case ActionKind::kPrefill:
      Prefill(a);
      break;
    case ActionKind::kDecode:
      Decode(a);
      break;
  }
  result.seconds = Since(t0);
  resident_model_.store(model_, std::memory_order_relaxed);
  kv_blocks_.store(cache_ ? cache_->num_blocks() : 0, std::memory_order_relaxed);
  kv_blocks_used_.store(cache_ ? cache_->num_blocks() - cache_->free_blocks() : 0,
                        std::memory_order_relaxed);
  return result;
}

void CpuExecutor::Fail(ServingRequest* r, const std::string& why) {
  r->failed = true;
  r->error = why;
  if (auto it = tables_.find(r->id); it != tables_.end()) {
    cache_->Release(it->second.table);
    tables_.erase(it);
  }
  std::lock_guard<std::mutex> lock(store_->mu_);
  if (auto it = store_->seqs_.find(r->id); it != store_->seqs_.end()) {
    for (const HostKvBlock& b : it->second.host_blocks) store_->pool_.Free(b);
    store_->seqs_.erase(it);
  }
}

bool CpuExecutor::MoveOut(ServingRequest* r) {
  auto it = tables_.find(r->id);
  if (it == tables_.end()) return true;
  engine::BlockTable& t = it->second.table;
  const size_t bytes = (*models_)[static_cast<size_t>(model_)]->kv_block_bytes;
  bool ok = true;
  {
    std::lock_guard<std::mutex> lock(store_->mu_);
    SequenceStore::Sequence& s = store_->seqs_[r->id];
    s.block_bytes = bytes;
    s.length = t.length;
    for (int block : t.blocks) {
      const auto hb = store_->pool_.Allocate(bytes);
      if (!hb) {
        ok = false;
        break;
      }
      cache_->CopyBlockOut(block, reinterpret_cast<float*>(store_->pool_.Data(*hb)));
      s.host_blocks.push_back(*hb);
    }
    store_->stats_.blocks_out += static_cast<int64_t>(s.host_blocks.size());
  }
  cache_->Release(t);
  tables_.erase(it);
  if (!ok) Fail(r, "the host KV pool is full: the request's KV cache could not be kept");
  return ok;
}

bool CpuExecutor::MoveIn(ServingRequest* r) {
  engine::BlockTable t;
  std::unique_lock<std::mutex> lock(store_->mu_);
  auto it = store_->seqs_.find(r->id);
  if (it == store_->seqs_.end() || it->second.host_blocks.empty()) {
    lock.unlock();
    Fail(r, "internal: the request's KV cache is neither on this instance nor in the host pool");
    return false;
  }
  SequenceStore::Sequence& s = it->second;
  if (!cache_->Reserve(t, s.length)) {
    lock.unlock();
    Fail(r, fmt::format("the KV cache of this instance is full ({} blocks)", cache_->num_blocks()));
    return false;
  }
  for (size_t i = 0; i < t.blocks.size(); ++i) {
    cache_->CopyBlockIn(t.blocks[i],
                        reinterpret_cast<const float*>(store_->pool_.Data(s.host_blocks[i])));
  }
  t.length = s.length;
  for (const HostKvBlock& b : s.host_blocks) store_->pool_.Free(b);
  store_->stats_.blocks_in += static_cast<int64_t>(s.host_blocks.size());
  s.host_blocks.clear();
  ++store_->returns_[r->id];
  lock.unlock();
  tables_[r->id] = {std::move(t), r};
  return true;
}

void CpuExecutor::Switch(const Action& a, SwitchPhases* phases) {
  auto t0 = std::chrono::steady_clock::now();
  // KV out: the outgoing batch, and anything else still here (it would not survive the reset).
  for (ServingRequest* r : a.kv_out) MoveOut(r);
  std::vector<ServingRequest*> rest;
  for (auto& [id, resident] : tables_) rest.push_back(resident.request);
  for (ServingRequest* r : rest) MoveOut(r);
  phases->kv_out_s = Since(t0);

  // Stop: release the outgoing model's engine state (the step in flight has ended: switches
  // happen between steps) and reset the arena.
  t0 = std::chrono::steady_clock::now();
  transformer_.reset();
  cache_.reset();
  placed_.reset();
  arena_.Reset();
  model_ = -1;
  phases->stop_s = Since(t0);

  t0 = std::chrono::steady_clock::now();
  const CpuModel& m = *(*models_)[static_cast<size_t>(a.model)];
  auto weights = arena_.Allocate(m.weight_arena_bytes, engine::kArenaAlignment, "weights");
  Result<engine::Model> placed =
      weights.ok() ? engine::PlaceWeights(m.loaded.model, *weights, m.weight_arena_bytes)
                   : Result<engine::Model>(weights.status());
  if (!placed.ok()) {
    for (ServingRequest* r : a.requests) Fail(r, "model " + m.name + ": " + placed.message());
    return;
  }
  placed_ = std::move(*placed);
  const size_t room = arena_.free_bytes() > engine::kArenaAlignment
                          ? arena_.free_bytes() - engine::kArenaAlignment
                          : 0;
  const int blocks = static_cast<int>(room / m.kv_block_bytes);
  auto kv = arena_.Allocate(static_cast<size_t>(blocks) * m.kv_block_bytes, engine::kArenaAlignment,
                            "kv cache");
  cache_ = std::make_unique<engine::KvCache>(placed_->config, blocks,
                                             kv.ok() ? static_cast<float*>(*kv) : nullptr);
  transformer_ = std::make_unique<engine::Transformer>(*placed_, *cache_, &pool_);
  model_ = a.model;
  phases->weights_in_s = Since(t0);

  t0 = std::chrono::steady_clock::now();
  for (ServingRequest* r : a.requests) {
    if (!r->done() && !tables_.count(r->id)) MoveIn(r);
  }
  phases->kv_in_s = Since(t0);
}

bool CpuExecutor::Ensure(int model) {
  if (model_ == model) return true;
  Action a = SwitchAction(model, -1);
  SwitchPhases phases;
  Switch(a, &phases);
  return model_ == model;
}

void CpuExecutor::Advance(ServingRequest* r, std::span<const float> logits) {
  const CpuModel& m = *(*models_)[static_cast<size_t>(model_)];
  SequenceStore::Sequence* s;
  {
    std::lock_guard<std::mutex> lock(store_->mu_);
    s = &store_->seqs_.at(r->id);
  }
  const int token = s->sampler->Sample(logits, s->context);
  engine::BlockTable& t = tables_.at(r->id).table;
  if (!r->ignore_eos &&
      (token == m.loaded.tokenizer->eos() || token == m.loaded.tokenizer->bos())) {
    r->stopped = true;
  } else {
    r->output.push_back(token);
    s->context.push_back(token);
    s->last_token = token;
    s->length = t.length;
    if (t.length + 1 >= m.loaded.model.config.seq_len) r->stopped = true;  // context full
  }
  if (r->stopped || static_cast<int>(r->output.size()) >= r->max_output_tokens) {
    cache_->Release(t);
    tables_.erase(r->id);
    std::lock_guard<std::mutex> lock(store_->mu_);
    store_->seqs_.erase(r->id);
  }
}

void CpuExecutor::ForwardAndAdvance(const std::vector<ServingRequest*>& live) {
  if (live.empty()) return;
  const std::vector<float>& logits = transformer_->Forward(rows_);
  const size_t vocab = static_cast<size_t>(placed_->config.vocab_size);
  for (size_t k = 0; k < live.size(); ++k) {
    Advance(live[k], std::span<const float>(logits.data() + k * vocab, vocab));
  }
}

void CpuExecutor::Prefill(const Action& a) {
  const CpuModel& m = *(*models_)[static_cast<size_t>(a.model)];
  std::vector<ServingRequest*> live;
  rows_.clear();
  for (ServingRequest* r : a.requests) {
    if (r->failed) continue;
    if (r->cancel.raised()) {
      Fail(r, "cancelled");
      continue;
    }
    if (!Ensure(a.model)) {
      Fail(r, "model " + m.name + " does not fit this instance's memory");
      continue;
    }
    const int n = static_cast<int>(r->prompt.size());
    if (n == 0 || n + 1 > m.loaded.model.config.seq_len) {
      Fail(r, fmt::format("the prompt has {} tokens; {} takes 1 to {}", n, m.name,
                          m.loaded.model.config.seq_len - 1));
      continue;
    }
    engine::BlockTable t;
    if (!cache_->Reserve(t, n + 1)) {
      Fail(r,
           fmt::format("the KV cache of this instance is full ({} blocks)", cache_->num_blocks()));
      continue;
    }
    engine::BlockTable& table = (tables_[r->id] = {std::move(t), r}).table;
    {
      std::lock_guard<std::mutex> lock(store_->mu_);
      SequenceStore::Sequence& s = store_->seqs_[r->id];
      engine::SamplingParams sp;
      sp.temperature = r->temperature;
      sp.top_p = r->top_p;
      sp.top_k = r->top_k;
      sp.seed = r->seed;
      s.sampler = std::make_unique<engine::Sampler>(sp);
      s.context.assign(r->prompt.begin(), r->prompt.end());
    }
    for (int i = 0; i < n; ++i)
      rows_.push_back({&table, r->prompt[static_cast<size_t>(i)], i, i == n - 1});
    live.push_back(r);
  }
  ForwardAndAdvance(live);
  if (a.kv_out_after) {
    for (ServingRequest* r : live) {
      if (tables_.count(r->id)) MoveOut(r);
    }
  }
}

void CpuExecutor::Decode(const Action& a) {
  const CpuModel& m = *(*models_)[static_cast<size_t>(a.model)];
  std::vector<ServingRequest*> live;
  rows_.clear();
  for (ServingRequest* r : a.requests) {
    if (r->done()) continue;
    if (r->cancel.raised()) {
      Fail(r, "cancelled");
      continue;
    }
    if (!Ensure(a.model)) {
      Fail(r, "model " + m.name + " does not fit this instance's memory");
      continue;
    }
    if (!tables_.count(r->id) && !MoveIn(r)) continue;
    engine::BlockTable& t = tables_.at(r->id).table;
    if (!cache_->Reserve(t, t.length + 1)) {
      Fail(r,
           fmt::format("the KV cache of this instance is full ({} blocks)", cache_->num_blocks()));
      continue;
    }
    int last;
    {
      std::lock_guard<std::mutex> lock(store_->mu_);
      last = store_->seqs_.at(r->id).last_token;
    }
    rows_.push_back({&t, last, t.length, true});
    live.push_back(r);
  }
  ForwardAndAdvance(live);
}

}  // namespace llms::serving
