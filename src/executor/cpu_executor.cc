// The CPU engine behind the scheduler's Executor seam: switches, batched prefill and decode steps,
// KV moves through the host pool.
#include "executor/cpu_executor.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "core/mapped_file.h"
#include "engine/weights_arena.h"

namespace llms::executor {

static_assert(serving::kKvBlockTokens == engine::KvCache::kBlockTokens,
              "the policies count KV in the engine's blocks");

namespace {

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Memory- and compute-bound estimates of a model's steps on this CPU (planning only: the
// executor measures what really happens).
class CpuLatency : public serving::LatencyPredictor {
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

serving::ServedModel CpuServedModel(const CpuModel& model, double bandwidth, double flops) {
  const engine::ModelConfig& c = model.loaded.model.config;
  const double params =
      static_cast<double>(c.n_layers) *
          (2.0 * c.dim * c.dim + 2.0 * c.kv_dim() * c.dim + 3.0 * c.dim * c.hidden_dim) +
      static_cast<double>(c.vocab_size) * c.dim;
  const double kv_per_token =
      static_cast<double>(model.kv_block_bytes) / engine::KvCache::kBlockTokens;
  serving::ServedModel m;
  m.name = model.name;
  m.weight_bytes = static_cast<double>(model.weight_arena_bytes);
  m.kv_bytes_per_token = kv_per_token;
  m.layers = c.n_layers;
  m.instance_overhead_bytes = engine::kArenaAlignment;  // the KV cache's alignment (Switch)
  m.latency = std::make_shared<CpuLatency>(m.weight_bytes, params, kv_per_token, bandwidth, flops);
  return m;
}

serving::ServedModel CpuServedModel(const CpuModel& model, const serving::ModelLatency& measured) {
  serving::ServedModel m = CpuServedModel(model);
  m.latency = serving::MeasuredPredictor(measured);
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
  s.host_overflow_bytes = pool_.overflow_bytes();
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

serving::ActionResult CpuExecutor::Run(const serving::Action& a) {
  const auto t0 = std::chrono::steady_clock::now();
  serving::ActionResult result;
  switch (a.kind) {
    case serving::ActionKind::kSwitch:
      Switch(a, &result.phases);
      break;
    case serving::ActionKind::kPrefill:
      Prefill(a);
      break;
    case serving::ActionKind::kDecode:
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

void CpuExecutor::Fail(serving::ServingRequest* r, serving::FinishReason why,
                       const std::string& message) {
  r->Finish(why, message);
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

bool CpuExecutor::MoveOut(serving::ServingRequest* r) {
  auto it = tables_.find(r->id);
  if (it == tables_.end()) return true;
  engine::BlockTable& t = it->second.table;
  const size_t bytes = (*models_)[static_cast<size_t>(model_)]->kv_block_bytes;
  {
    std::lock_guard<std::mutex> lock(store_->mu_);
    SequenceStore::Sequence& s = store_->seqs_[r->id];
    s.block_bytes = bytes;
    s.length = t.length;
    for (int block : t.blocks) {
      const HostKvBlock hb = store_->pool_.Allocate(bytes);
      cache_->CopyBlockOut(block, reinterpret_cast<float*>(store_->pool_.Data(hb)));
      s.host_blocks.push_back(hb);
    }
    store_->stats_.blocks_out += static_cast<int64_t>(t.blocks.size());
  }
  cache_->Release(t);
  tables_.erase(it);
  return true;
}

void CpuExecutor::MoveOutAllBut(const std::vector<serving::ServingRequest*>& keep) {
  std::vector<serving::ServingRequest*> out;
  for (auto& [id, resident] : tables_) {
    if (std::find(keep.begin(), keep.end(), resident.request) == keep.end()) {
      out.push_back(resident.request);
    }
  }
  for (serving::ServingRequest* r : out) MoveOut(r);
}

bool CpuExecutor::MoveIn(serving::ServingRequest* r) {
  engine::BlockTable t;
  std::unique_lock<std::mutex> lock(store_->mu_);
  auto it = store_->seqs_.find(r->id);
  if (it == store_->seqs_.end() || it->second.host_blocks.empty()) {
    lock.unlock();
    Fail(r, serving::FinishReason::kInternal,
         "the request's KV cache is neither on this instance nor in the host pool");
    return false;
  }
  SequenceStore::Sequence& s = it->second;
  if (!cache_->Reserve(t, s.length)) {
    lock.unlock();
    // The policy admits no more than an instance holds: this is a broken invariant.
    Fail(r, serving::FinishReason::kInternal,
         fmt::format("the KV cache of this instance is full ({} blocks) moving a sequence in",
                     cache_->num_blocks()));
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

namespace {

// Makes the listed copies (plain memcpy: it may be abandoned midway on SIGBUS).
void CopyWeights(void* p) {
  for (const engine::WeightCopy& c : *static_cast<const std::vector<engine::WeightCopy>*>(p)) {
    std::memcpy(c.to, c.from, c.bytes);
  }
}

}  // namespace

Status CpuExecutor::PlaceModelWeights(const CpuModel& m) {
  const engine::Model& source = m.loaded.model;
  auto weights = arena_.Allocate(m.weight_arena_bytes, engine::kArenaAlignment, "weights");
  if (!weights.ok()) return weights.status();
  if (!source.file) {
    Result<engine::Model> placed = engine::PlaceWeights(source, *weights, m.weight_arena_bytes);
    if (!placed.ok()) return placed.status();
    placed_ = std::move(*placed);
    return Status::Ok();
  }
  // The weights are read from the memory-mapped file: a file truncated since it was loaded would
  // kill the process with SIGBUS. Checked first; the copy itself runs under a guard for a file
  // that shrinks while it is read.
  if (Status s = source.file->CheckIntact(); !s.ok()) return s;
  std::vector<engine::WeightCopy> copies;
  Result<engine::Model> placed =
      engine::PlaceWeights(source, *weights, m.weight_arena_bytes, &copies);
  if (!placed.ok()) return placed.status();
  if (!ReadGuardedAgainstTruncation(CopyWeights, &copies)) {
    return Status::Error(source.file->path() +
                         " shrank while it was read: restore the file and restart the server");
  }
  placed_ = std::move(*placed);
  return Status::Ok();
}

void CpuExecutor::Switch(const serving::Action& a, serving::SwitchPhases* phases) {
  auto t0 = std::chrono::steady_clock::now();
  // KV out: every sequence here but the incoming batch's (after a switch only its KV is here).
  MoveOutAllBut(a.model == model_ ? a.requests : std::vector<serving::ServingRequest*>{});
  phases->kv_out_s = Since(t0);

  if (a.model != model_) {
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
    if (Status s = PlaceModelWeights(m); !s.ok()) {
      placed_.reset();
      arena_.Reset();
      load_error_ = "model " + m.name + " cannot be loaded: " + s.message();
      for (serving::ServingRequest* r : a.requests)
        Fail(r, serving::FinishReason::kFailed, load_error_);
      return;
    }
    load_error_.clear();
    const size_t room = arena_.free_bytes() > engine::kArenaAlignment
                            ? arena_.free_bytes() - engine::kArenaAlignment
                            : 0;
    const int blocks = static_cast<int>(room / m.kv_block_bytes);
    auto kv = arena_.Allocate(static_cast<size_t>(blocks) * m.kv_block_bytes,
                              engine::kArenaAlignment, "kv cache");
    cache_ = std::make_unique<engine::KvCache>(placed_->config, blocks,
                                               kv.ok() ? static_cast<float*>(*kv) : nullptr);
    transformer_ = std::make_unique<engine::Transformer>(*placed_, *cache_, &pool_);
    model_ = a.model;
    phases->weights_in_s = Since(t0);
  }

  t0 = std::chrono::steady_clock::now();
  for (serving::ServingRequest* r : a.requests) {
    if (r->done() || tables_.count(r->id)) continue;
    if (r->cancel.raised()) {
      Fail(r, serving::FinishReason::kCancelled, "cancelled");
      continue;
    }
    MoveIn(r);
  }
  phases->kv_in_s = Since(t0);
}

bool CpuExecutor::Ensure(int model) {
  if (model_ == model) return true;
  serving::Action a = serving::SwitchAction(model, -1);
  serving::SwitchPhases phases;
  Switch(a, &phases);
  return model_ == model;
}

void CpuExecutor::Advance(serving::ServingRequest* r, std::span<const float> logits) {
  const CpuModel& m = *(*models_)[static_cast<size_t>(model_)];
  SequenceStore::Sequence* s;
  {
    std::lock_guard<std::mutex> lock(store_->mu_);
    s = &store_->seqs_.at(r->id);
  }
  const int token = s->sampler->Sample(logits, s->context, s->prompt_tokens);
  engine::BlockTable& t = tables_.at(r->id).table;
  if (!r->ignore_eos &&
      (token == m.loaded.tokenizer->eos() || token == m.loaded.tokenizer->bos())) {
    r->Finish(serving::FinishReason::kEos);
  } else {
    r->output.push_back(token);
    if (r->logprobs >= 0) {
      engine::TokenLogprobs lp = engine::ComputeLogprobs(logits, token, r->logprobs);
      serving::TokenLogprob out{token, lp.logprob, {}};
      for (const auto& [id, v] : lp.top) out.top.emplace_back(id, v);
      r->logprobs_out.push_back(std::move(out));
    }
    s->context.push_back(token);
    s->last_token = token;
    s->length = t.length;
    if (static_cast<int>(r->output.size()) >= r->max_output_tokens) {
      r->Finish(serving::FinishReason::kLength);
    } else if (t.length + 1 >= m.loaded.model.config.seq_len) {
      r->Finish(serving::FinishReason::kContextFull);
    }
  }
  if (r->done() || static_cast<int>(r->output.size()) >= r->max_output_tokens) {
    cache_->Release(t);
    tables_.erase(r->id);
    std::lock_guard<std::mutex> lock(store_->mu_);
    store_->seqs_.erase(r->id);
  }
}

void CpuExecutor::ForwardAndAdvance(const std::vector<serving::ServingRequest*>& live) {
  if (live.empty()) return;
  const std::vector<float>& logits = transformer_->Forward(rows_);
  const size_t vocab = static_cast<size_t>(placed_->config.vocab_size);
  for (size_t k = 0; k < live.size(); ++k) {
    Advance(live[k], std::span<const float>(logits.data() + k * vocab, vocab));
  }
}

bool CpuExecutor::Runnable(serving::ServingRequest* r, int model) {
  if (r->done()) return false;
  if (r->cancel.raised()) {
    Fail(r, serving::FinishReason::kCancelled, "cancelled");
    return false;
  }
  if (!Ensure(model)) {
    if (!r->done()) {
      Fail(r, serving::FinishReason::kFailed,
           load_error_.empty() ? "model " + (*models_)[static_cast<size_t>(model)]->name +
                                     " cannot be loaded on this instance"
                               : load_error_);
    }
    return false;
  }
  return true;
}

void CpuExecutor::Prefill(const serving::Action& a) {
  const CpuModel& m = *(*models_)[static_cast<size_t>(a.model)];
  std::vector<serving::ServingRequest*> live;
  rows_.clear();
  for (serving::ServingRequest* r : a.requests) {
    if (!Runnable(r, a.model)) continue;
    const int n = static_cast<int>(r->prompt.size());
    if (n == 0 || n + 1 > m.loaded.model.config.seq_len) {
      Fail(r, serving::FinishReason::kFailed,
           fmt::format("the prompt has {} tokens; {} takes 1 to {}", n, m.name,
                       m.loaded.model.config.seq_len - 1));
      continue;
    }
    engine::BlockTable t;
    if (!cache_->Reserve(t, n + 1)) {
      // The policy admits no more than an instance holds: this is a broken invariant.
      Fail(r, serving::FinishReason::kInternal,
           fmt::format("the KV cache of this instance is full ({} blocks) at prefill",
                       cache_->num_blocks()));
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
      sp.frequency_penalty = r->frequency_penalty;
      sp.repetition_penalty = r->repetition_penalty;
      sp.repeat_last_n = r->repeat_last_n;
      sp.min_p = r->min_p;
      sp.presence_penalty = r->presence_penalty;
      for (const auto& [id, bias] : r->logit_bias) sp.logit_bias.emplace_back(id, bias);
      s.sampler = std::make_unique<engine::Sampler>(sp);
      s.context.assign(r->prompt.begin(), r->prompt.end());
      s.prompt_tokens = r->prompt.size();
    }
    for (int i = 0; i < n; ++i)
      rows_.push_back({&table, r->prompt[static_cast<size_t>(i)], i, i == n - 1});
    live.push_back(r);
  }
  ForwardAndAdvance(live);
  if (a.kv_out_after) {
    for (serving::ServingRequest* r : live) {
      if (!tables_.count(r->id)) continue;
      if (r->cancel.raised()) {
        Fail(r, serving::FinishReason::kCancelled,
             "cancelled");  // gone during its prefill: no decode
      } else {
        MoveOut(r);
      }
    }
  }
}

void CpuExecutor::Decode(const serving::Action& a) {
  std::vector<serving::ServingRequest*> live;
  rows_.clear();
  for (serving::ServingRequest* r : a.requests) {
    if (!Runnable(r, a.model)) continue;
    if (!tables_.count(r->id) && !MoveIn(r)) continue;
    engine::BlockTable& t = tables_.at(r->id).table;
    if (!cache_->Reserve(t, t.length + 1)) {
      // The policy admits no more than an instance holds: this is a broken invariant.
      Fail(r, serving::FinishReason::kInternal,
           fmt::format("the KV cache of this instance is full ({} blocks) at a decode step",
                       cache_->num_blocks()));
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

}  // namespace llms::executor
