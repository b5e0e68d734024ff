// The CPU engine measured on this machine: step latencies, weight loading, KV copies.
#include "executor/cpu_profile.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "core/thread_pool.h"
#include "engine/kv_cache.h"
#include "engine/transformer.h"
#include "engine/weights_arena.h"
#include "executor/instance_arena.h"

namespace llms::executor {

namespace {

using Clock = std::chrono::steady_clock;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

template <typename F>
double MedianSeconds(int repeats, F&& run) {
  std::vector<double> times;
  for (int i = 0; i < std::max(1, repeats); ++i) {
    const auto t0 = Clock::now();
    run();
    times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return Median(times);
}

}  // namespace

Result<serving::ModelLatency> MeasureCpuModel(const CpuModel& model, const MeasureOptions& o,
                                              const std::function<void(int, int)>& progress) {
  const engine::Model& source = model.loaded.model;
  const engine::ModelConfig& c = source.config;
  const int max_len = *std::max_element(o.lengths.begin(), o.lengths.end());
  const int max_batch = *std::max_element(o.batches.begin(), o.batches.end());
  if (max_len + 1 >= c.seq_len) {
    return Status::Error(
        fmt::format("model {}: a measured length of {} does not fit its context {}", model.name,
                    max_len, c.seq_len));
  }
  // An arena as an instance has: the weights, then KV room for the largest grid point.
  const int blocks_per_seq =
      (max_len + 1 + engine::KvCache::kBlockTokens - 1) / engine::KvCache::kBlockTokens;
  const int blocks = blocks_per_seq * max_batch + 1;
  const size_t kv_bytes = static_cast<size_t>(blocks) * model.kv_block_bytes;
  InstanceArena arena(model.weight_arena_bytes + kv_bytes + 2 * engine::kArenaAlignment);
  auto weights = arena.Allocate(model.weight_arena_bytes, engine::kArenaAlignment, "weights");
  if (!weights.ok()) return weights.status();
  // A switch's load: the weights copied from the host model cache into the arena.
  Result<engine::Model> placed = Status::Error("not placed");
  const double load_s = MedianSeconds(o.repeats, [&] {
    placed = engine::PlaceWeights(source, *weights, model.weight_arena_bytes);
  });
  if (!placed.ok()) return placed.status();
  auto kv = arena.Allocate(kv_bytes, engine::kArenaAlignment, "kv cache");
  if (!kv.ok()) return kv.status();
  // Written once, so every block is memory of its own as in a serving instance: a decode step's
  // attention over never-written KV would read the kernel's shared zero page, always in cache, and
  // measure large batches far faster than they run.
  std::memset(*kv, 0, kv_bytes);
  engine::KvCache cache(placed->config, blocks, static_cast<float*>(*kv));
  ThreadPool pool(o.threads);
  engine::Transformer transformer(*placed, cache, &pool);

  serving::ModelLatency out;
  out.model = model.name;
  out.device = o.device;
  out.load_s = load_s;
  out.weight_bytes = static_cast<double>(model.weight_arena_bytes);
  out.kv_bytes_per_token =
      static_cast<double>(model.kv_block_bytes) / engine::KvCache::kBlockTokens;

  // KV moves: blocks copied out to host memory and back in.
  {
    const int n = std::min(blocks, 64);
    std::vector<float> host(static_cast<size_t>(n) * model.kv_block_bytes / sizeof(float));
    const double s = MedianSeconds(o.repeats, [&] {
      for (int b = 0; b < n; ++b) {
        cache.CopyBlockOut(
            b, host.data() + static_cast<size_t>(b) * model.kv_block_bytes / sizeof(float));
      }
      for (int b = 0; b < n; ++b) {
        cache.CopyBlockIn(
            b, host.data() + static_cast<size_t>(b) * model.kv_block_bytes / sizeof(float));
      }
    });
    out.kv_move_bytes_per_s = s > 0 ? 2.0 * n * static_cast<double>(model.kv_block_bytes) / s : 0;
  }

  std::vector<serving::ProfileRow> rows;
  const int total = static_cast<int>(o.lengths.size() * o.batches.size());
  int done = 0;
  std::vector<engine::BlockTable> tables(static_cast<size_t>(max_batch));
  std::vector<engine::BatchRow> batch_rows;
  for (int len : o.lengths) {
    for (int n : o.batches) {
      serving::ProfileRow r;
      r.model = model.name;
      r.gpu = o.device;
      r.input_len = len;
      r.batch_size = n;
      auto reset = [&] {
        for (auto& t : tables) cache.Release(t);
        for (int s = 0; s < n; ++s) {
          if (!cache.Reserve(tables[static_cast<size_t>(s)], len + 1)) return false;
        }
        return true;
      };
      // Prefill: n prompts of `len` tokens in one pass (logits for each last position).
      if (n * len <= o.max_prefill_tokens) {
        r.prefill_s = MedianSeconds(o.repeats, [&] {
          if (!reset()) return;
          batch_rows.clear();
          for (int s = 0; s < n; ++s) {
            for (int p = 0; p < len; ++p) {
              batch_rows.push_back(
                  {&tables[static_cast<size_t>(s)], 3 + (p * 7 + s) % 200, p, p == len - 1});
            }
          }
          (void)transformer.Forward(batch_rows);
        });
      } else {
        r.prefill_s = -1;  // not run
      }
      // Decode: one step of n sequences at a context of `len` (their earlier KV as it is).
      r.decode_step_s = MedianSeconds(o.repeats, [&] {
        if (!reset()) return;
        batch_rows.clear();
        for (int s = 0; s < n; ++s) {
          tables[static_cast<size_t>(s)].length = len;
          batch_rows.push_back({&tables[static_cast<size_t>(s)], 3 + s, len, true});
        }
        (void)transformer.Forward(batch_rows);
      });
      rows.push_back(r);
      if (progress) progress(++done, total);
    }
  }
  for (auto& t : tables) cache.Release(t);
  // Fits: prefill from the rows that ran one, decode from all.
  std::vector<serving::ProfileRow> prefill_rows, decode_rows;
  for (const auto& r : rows) {
    if (r.prefill_s > 0) prefill_rows.push_back(r);
  }
  serving::FitOptions fit;
  fit.max_prefill_tokens = o.max_prefill_tokens;
  fit.max_decode_context = c.seq_len;
  for (auto& r : rows) {
    if (r.prefill_s < 0) r.prefill_s = 0;
  }
  const auto decode_fit = serving::FitLatencyModels(rows, fit);
  const auto prefill_fit = serving::FitLatencyModels(prefill_rows, fit);
  if (decode_fit.empty() || prefill_fit.empty()) {
    return Status::Error(fmt::format("model {}: too few measurements to fit", model.name));
  }
  out.decode = decode_fit.front().decode;
  out.decode_error = decode_fit.front().decode_error;
  out.prefill = prefill_fit.front().prefill;
  out.prefill_error = prefill_fit.front().prefill_error;
  return out;
}

}  // namespace llms::executor
