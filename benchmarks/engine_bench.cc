// Google Benchmark programs for the CPU engine, reported against this machine's own limits measured
// in the same run: memory read bandwidth and FMA peak (2 threads; 256-bit and, where the CPU has
// it, 512-bit FMAs: prefill is judged against the peak of the vectors its kernels use), the Q8_0
// matrix product with each kernel set, decode of a 1B Q8_0
// random-weight model as achieved bandwidth (weight bytes x tokens/s), prefill as GFLOP/s, batched
// decode for batch 1..64 (Q8_0 and Q4_K_M), and stories260K on one thread against the scalar path
// that repeats llama2.c's loops.
//   build/bin/engine_bench                                   # everything (about 3 minutes)
//   build/bin/engine_bench --benchmark_filter='Peak|Decode/1B'
// Built with -mavx2 -mfma (the peak measurements use AVX2 directly): runs on AVX2 machines only.
// LLMS_KERNELS=avx2 in the environment runs everything on the AVX2 kernels of an AVX-512 CPU.
// The 1B models are written once to $LLMS_BENCH_DIR (default /tmp) by `aegaeon model dummy`'s code.
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/huge_pages.h"
#include "core/stats.h"
#include "core/thread_pool.h"
#include "engine/kernels.h"
#include "engine/kv_cache.h"
#include "engine/model_loader.h"
#include "engine/model_writer.h"
#include "engine/transformer.h"
#include "engine/weights_arena.h"

namespace llms::engine {
namespace {

constexpr int kThreads = 2;

// Read bandwidth: the pool's threads sum disjoint parts of `words` 64-bit words at `buf` (AVX2
// loads, four independent chains per thread); seconds for one pass.
double ReadOnce(const uint64_t* buf, size_t words, ThreadPool& pool) {
  std::vector<uint64_t> sums(static_cast<size_t>(pool.size()) * 8, 0);
  const auto start = std::chrono::steady_clock::now();
  const int64_t chunks = pool.size();
  pool.ParallelFor(chunks, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const size_t n = words / static_cast<size_t>(chunks);
      const auto* p = reinterpret_cast<const __m256i*>(buf + static_cast<size_t>(c) * n);
      __m256i a = _mm256_setzero_si256(), b = a, d = a, e = a;
      for (size_t i = 0; i + 4 <= n / 4; i += 4) {
        a = _mm256_add_epi64(a, _mm256_load_si256(p + i));
        b = _mm256_add_epi64(b, _mm256_load_si256(p + i + 1));
        d = _mm256_add_epi64(d, _mm256_load_si256(p + i + 2));
        e = _mm256_add_epi64(e, _mm256_load_si256(p + i + 3));
      }
      a = _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(d, e));
      sums[static_cast<size_t>(c) * 8] = static_cast<uint64_t>(_mm256_extract_epi64(a, 0));
    }
  });
  benchmark::DoNotOptimize(sums.data());
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A 1 GiB buffer to read, touched (resident), on 4 KiB pages or on transparent huge pages (as the
// placed weights are); GB/s of the best of `passes` passes.
constexpr size_t kReadBytes = size_t{1} << 30;
double BestReadGbs(const uint64_t* buf, ThreadPool& pool, int passes) {
  double best = 1e9;
  for (int i = 0; i < passes; ++i) best = std::min(best, ReadOnce(buf, kReadBytes / 8, pool));
  return static_cast<double>(kReadBytes) / best / 1e9;
}
const uint64_t* HugePageReadBuffer() {
  static const HugePageMemory mem = [] {
    HugePageMemory m = AllocateHugePageMemory(kReadBytes);
    if (m) std::fill_n(reinterpret_cast<uint64_t*>(m.get()), kReadBytes / 8, uint64_t{1});
    return m;
  }();
  return reinterpret_cast<const uint64_t*>(mem.get());
}

// FMA peak: independent chains of 256-bit FMAs, then the same with 512-bit ones (that function
// alone is compiled for AVX-512), run on every thread by FmaSeconds.
void Fma256Chains(int64_t iters) {
  __m256 acc[10];
  for (int i = 0; i < 10; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
    for (auto& x : acc) x = _mm256_fmadd_ps(x, m, a);
  }
  float out[8];
  __m256 s = acc[0];
  for (int i = 1; i < 10; ++i) s = _mm256_add_ps(s, acc[i]);
  _mm256_storeu_ps(out, s);
  benchmark::DoNotOptimize(out[0]);
}
__attribute__((target("avx512f"))) void Fma512Chains(int64_t iters) {
  __m512 acc[10];
  for (int i = 0; i < 10; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
    for (auto& x : acc) x = _mm512_fmadd_ps(x, m, a);
  }
  __m512 s = acc[0];
  for (int i = 1; i < 10; ++i) s = _mm512_add_ps(s, acc[i]);
  alignas(64) float out[16];
  _mm512_store_ps(out, s);
  benchmark::DoNotOptimize(out[0]);
}
// Seconds for `chains(iters)` on every thread of `pool` at once.
double FmaSeconds(ThreadPool& pool, void (*chains)(int64_t), int64_t iters) {
  const auto start = std::chrono::steady_clock::now();
  pool.ParallelFor(pool.size(), [&](int64_t, int64_t) { chains(iters); });
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Peaks {
  double read_gbs = 0;
  double fma_gflops = 0;  // FMA peak of the widest vectors the active kernels use
  double read_small_pages_gbs = 0, read_huge_pages_gbs = 0;
  double fma256_gflops = 0, fma512_gflops = 0;
};

const Peaks& MachinePeaks() {
  static const Peaks p = [] {
    Peaks r;
    ThreadPool pool(kThreads);
    {
      const std::vector<uint64_t> buf(kReadBytes / 8, 1);
      r.read_small_pages_gbs = BestReadGbs(buf.data(), pool, 7);
    }
    if (const uint64_t* huge = HugePageReadBuffer())
      r.read_huge_pages_gbs = BestReadGbs(huge, pool, 7);
    // The better of the two page sizes: decode is judged against the best the machine reads.
    r.read_gbs = std::max(r.read_small_pages_gbs, r.read_huge_pages_gbs);
    const int64_t iters = 50'000'000;
    const double flops = static_cast<double>(kThreads) * static_cast<double>(iters) * 10 * 2;
    double best = 1e9;
    for (int i = 0; i < 3; ++i) best = std::min(best, FmaSeconds(pool, Fma256Chains, iters));
    r.fma256_gflops = flops * 8 / best / 1e9;
    r.fma_gflops = r.fma256_gflops;
    if (Avx512Kernels()) {
      best = 1e9;
      for (int i = 0; i < 3; ++i) best = std::min(best, FmaSeconds(pool, Fma512Chains, iters));
      r.fma512_gflops = flops * 16 / best / 1e9;
      if (&ActiveKernels() == Avx512Kernels()) r.fma_gflops = r.fma512_gflops;
    }
    return r;
  }();
  return p;
}

void BM_PeakReadBandwidth(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(MachinePeaks());
  state.counters["GB/s"] = MachinePeaks().read_gbs;
  state.counters["4KiB_pages_GB/s"] = MachinePeaks().read_small_pages_gbs;
  state.counters["huge_pages_GB/s"] = MachinePeaks().read_huge_pages_gbs;
  // Where transparent huge pages are off the "huge-page" buffer sits on 4 KiB pages: say how much.
  state.counters["huge_page_share"] = HugePageShare(HugePageReadBuffer(), kReadBytes).value_or(0);
}
BENCHMARK(BM_PeakReadBandwidth)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_PeakFma(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(MachinePeaks());
  state.counters["GFLOP/s"] = MachinePeaks().fma_gflops;
  state.counters["AVX2_GFLOP/s"] = MachinePeaks().fma256_gflops;
  if (MachinePeaks().fma512_gflops > 0)
    state.counters["AVX512_GFLOP/s"] = MachinePeaks().fma512_gflops;
  state.SetLabel("peak of the active kernels' vectors: " + std::string(ActiveKernels().name));
}
BENCHMARK(BM_PeakFma)->Iterations(1)->Unit(benchmark::kMillisecond);

// The random-weight llama-1b in file type `ft` (q8_0 or q4_k_m), written once.
LoadedModel LoadOneB(const char* ft) {
  const char* dir = std::getenv("LLMS_BENCH_DIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/llms-bench-llama-1b-" + ft + ".gguf";
  if (!std::filesystem::exists(path)) {
    const ModelPreset* p = FindModelPreset("llama-1b");
    const Status s =
        WriteRandomModel(p->config, p->tied, *FileTypeFromName(ft), 0, path, "llama-1b");
    if (!s.ok()) std::abort();
  }
  auto r = LoadModelFiles(path);
  if (!r.ok()) std::abort();
  return std::move(r).value();
}
const LoadedModel& OneB() {
  static const LoadedModel m = LoadOneB("q8_0");
  return m;
}
const LoadedModel& OneBQ4KM() {
  static const LoadedModel m = LoadOneB("q4_k_m");
  return m;
}

int64_t MatrixParams(const Model& m) {
  int64_t p = 0;
  for (const Tensor* t : m.AllTensors()) {
    if (t->rows > 1 && t != &m.token_embedding) p += t->rows * t->cols;
  }
  if (m.classifier.data == m.token_embedding.data) p += m.classifier.rows * m.classifier.cols;
  return p;
}

// `batch` sequences of `context` tokens each, decoded one step at a time on `threads` threads.
class DecodeBatch {
 public:
  DecodeBatch(const Model& m, int batch, int context, int threads)
      : pool_(threads),
        cache_(m.config,
               ((context + 1 + KvCache::kBlockTokens - 1) / KvCache::kBlockTokens + 1) * batch),
        tf_(m, cache_, &pool_),
        seqs_(static_cast<size_t>(batch)) {
    for (auto& s : seqs_) {
      cache_.Reserve(s, context + 1);
      s.length = context;  // the cache content does not matter for speed
      rows_.push_back({&s, 42, context, true});
    }
  }
  void Step() { benchmark::DoNotOptimize(tf_.Forward(rows_).data()); }
  ThreadPool& pool() { return pool_; }

 private:
  ThreadPool pool_;
  KvCache cache_;
  Transformer tf_;
  std::vector<BlockTable> seqs_;
  std::vector<BatchRow> rows_;
};

// Decode steps for `batch` sequences of `context` tokens each; reports tokens/s, achieved
// weight bandwidth and its share of the measured read bandwidth.
void DecodeSteps(benchmark::State& state, const Model& m, int batch, int context, int threads) {
  DecodeBatch d(m, batch, context, threads);
  d.Step();  // warm-up: pages the weights in (the first benchmark would otherwise time the disk)
  for (auto _ : state) d.Step();
  const double steps = static_cast<double>(state.iterations());
  state.counters["tok/s"] = benchmark::Counter(steps * batch, benchmark::Counter::kIsRate);
  const double bytes = static_cast<double>(m.WeightBytes());
  state.counters["weights_GB/s"] =
      benchmark::Counter(steps * bytes / 1e9, benchmark::Counter::kIsRate);
  state.counters["bw_share"] = benchmark::Counter(steps * bytes / 1e9 / MachinePeaks().read_gbs,
                                                  benchmark::Counter::kIsRate);
}

void BM_Decode1B(benchmark::State& state) {
  MachinePeaks();
  DecodeSteps(state, OneB().model, static_cast<int>(state.range(0)), 64,
              static_cast<int>(state.range(1)));
}
void BM_Decode1BQ4KM(benchmark::State& state) {
  MachinePeaks();
  DecodeSteps(state, OneBQ4KM().model, static_cast<int>(state.range(0)), 64,
              static_cast<int>(state.range(1)));
}
BENCHMARK(BM_Decode1BQ4KM)
    ->Name("Decode/1B-Q4_K_M/batch/threads")
    ->Args({1, 1})
    ->Args({1, 2})
    ->Args({8, 2})
    ->Args({32, 2})
    ->Args({64, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

BENCHMARK(BM_Decode1B)
    ->Name("Decode/1B-Q8_0/batch/threads")
    ->Args({1, 1})
    ->Args({1, 2})
    ->Args({2, 2})
    ->Args({4, 2})
    ->Args({8, 2})
    ->Args({16, 2})
    ->Args({32, 2})
    ->Args({64, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

// The 1B model's weights copied into an anonymous arena backed by transparent huge pages (what an
// instance's arena holds), once for every benchmark that uses it.
const Model* PlacedOneB() {
  static const Result<PlacedModel> placed = PlaceOnHugePages(OneB().model);
  return placed.ok() ? &placed->model : nullptr;
}
const Model* PlacedOneBQ4KM() {
  static const Result<PlacedModel> placed = PlaceOnHugePages(OneBQ4KM().model);
  return placed.ok() ? &placed->model : nullptr;
}

// The same decode with the weights in huge pages, against the 4 KiB pages of the file mapping.
void BM_Decode1BPlaced(benchmark::State& state) {
  MachinePeaks();
  const Model* m = PlacedOneB();
  if (!m) {
    state.SkipWithError("cannot place the weights");
    return;
  }
  DecodeSteps(state, *m, static_cast<int>(state.range(0)), 64, kThreads);
}
BENCHMARK(BM_Decode1BPlaced)
    ->Name("Decode/1B-Q8_0-in-arena/batch")
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

// Decode at batch 1 on 2 threads, weights in huge pages, with each SIMD kernel set in one run
// (arguments: 1 AVX2, 2 AVX-512), so their ratio is measured under the same machine load.
void BM_Decode1BKernels(benchmark::State& state) {
  MachinePeaks();
  const DotKernels* k = state.range(0) == 1 ? Avx2Kernels() : Avx512Kernels();
  const Model* m = PlacedOneB();
  if (!k || !m) {
    state.SkipWithError(!k ? "this CPU does not run these kernels" : "cannot place the weights");
    return;
  }
  SetActiveKernels(k);
  DecodeSteps(state, *m, 1, 64, kThreads);
  SetActiveKernels(nullptr);
  state.SetLabel(std::string(k->name));
}
BENCHMARK(BM_Decode1BKernels)
    ->Name("Decode/1B-Q8_0-in-arena/batch-1/kernels")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(1.0);

// The decode target measured so that a shared machine's moving load cancels out: decode
// at batch 1 on 2 threads (weights in huge pages) against the read bandwidth measured right next
// to it. Each iteration is a round: the best of three reads of the 1 GiB huge-page buffer, then
// kRoundSteps decode steps on the same threads; the round's share is its decode weight GB/s over
// its read GB/s. Reports the median share over the rounds, the lowest and the highest.
void BM_Decode1BShare(benchmark::State& state) {
  constexpr int kRoundSteps = 16;
  const Model* m = state.range(0) == 0 ? PlacedOneB() : PlacedOneBQ4KM();
  const uint64_t* buf = HugePageReadBuffer();
  if (!m || !buf) {
    state.SkipWithError(!m ? "cannot place the weights" : "cannot allocate the read buffer");
    return;
  }
  DecodeBatch d(*m, 1, 64, kThreads);
  d.Step();  // warm: first-touch of the activations and the KV blocks
  const double bytes = static_cast<double>(m->WeightBytes());
  std::vector<double> shares, read_gbs, decode_gbs;
  for (auto _ : state) {
    const double read = BestReadGbs(buf, d.pool(), 3);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRoundSteps; ++i) d.Step();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double decode = bytes * kRoundSteps / secs / 1e9;
    shares.push_back(decode / read);
    read_gbs.push_back(read);
    decode_gbs.push_back(decode);
  }
  state.counters["share_median"] = Quantile(shares, 0.5);
  state.counters["share_min"] = Quantile(shares, 0);
  state.counters["share_max"] = Quantile(shares, 1);
  state.counters["read_GB/s_median"] = Quantile(read_gbs, 0.5);
  state.counters["decode_GB/s_median"] = Quantile(decode_gbs, 0.5);
}
BENCHMARK(BM_Decode1BShare)
    ->Name("Decode/1B-in-arena/batch-1/share-of-read-interleaved/q8_0:0,q4_k_m:1")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(15)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Prefill1B(benchmark::State& state) {
  MachinePeaks();
  const Model& m = OneB().model;
  const int n = static_cast<int>(state.range(0));
  ThreadPool pool(kThreads);
  KvCache cache(m.config, n / KvCache::kBlockTokens + 1);
  Transformer tf(m, cache, &pool);
  BlockTable seq;
  cache.Reserve(seq, n);
  std::vector<BatchRow> rows;
  for (int p = 0; p < n; ++p) rows.push_back({&seq, 100 + p, p, p + 1 == n});
  for (auto _ : state) benchmark::DoNotOptimize(tf.Forward(rows).data());
  const double tokens = static_cast<double>(state.iterations()) * n;
  state.counters["tok/s"] = benchmark::Counter(tokens, benchmark::Counter::kIsRate);
  // Every position goes through every layer; only the last one through the classifier.
  const double classifier = static_cast<double>(m.classifier.rows * m.classifier.cols);
  const double flops = 2.0 * (static_cast<double>(MatrixParams(m)) - classifier) * tokens +
                       2.0 * classifier * static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsRate);
  state.counters["fma_share"] =
      benchmark::Counter(flops / 1e9 / MachinePeaks().fma_gflops, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Prefill1B)
    ->Name("Prefill/1B-Q8_0/tokens")
    ->Arg(128)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

// One Q8_0 matrix product (16384 x 4096, 71 MB: streamed from memory, as in decode) with each
// kernel set this CPU runs, for 1 to 64 activation rows on 2 threads; arguments: kernels (0 scalar,
// 1 AVX2, 2 AVX-512), activation rows. Reports weight GB/s and multiply-add throughput.
void BM_MatMulQ8(benchmark::State& state) {
  const DotKernels* kernels[] = {&ScalarKernels(), Avx2Kernels(), Avx512Kernels()};
  const DotKernels* k = kernels[state.range(0)];
  if (!k) {
    state.SkipWithError("this CPU does not run these kernels");
    return;
  }
  const int64_t rows = 16384, cols = 4096, nx = state.range(1);
  static const std::vector<uint8_t> weights = [] {
    std::vector<uint8_t> w(RowBytes(GgmlType::kQ8_0, 4096) * 16384);
    std::vector<float> row(4096);
    for (int64_t r = 0; r < 16384; ++r) {
      for (int64_t c = 0; c < 4096; ++c) row[c] = static_cast<float>((r * 31 + c * 17) % 255) - 127;
      QuantizeRow(GgmlType::kQ8_0, row.data(), w.data() + r * RowBytes(GgmlType::kQ8_0, 4096),
                  4096);
    }
    return w;
  }();
  const Tensor t{GgmlType::kQ8_0, weights.data(), rows, cols};
  std::vector<float> x(static_cast<size_t>(nx * cols), 0.5f), out(static_cast<size_t>(nx * rows));
  ThreadPool pool(kThreads);
  for (auto _ : state) {
    MatMul(t, x.data(), nx, out.data(), &pool, *k);
    benchmark::DoNotOptimize(out.data());
  }
  const double it = static_cast<double>(state.iterations());
  state.counters["weights_GB/s"] = benchmark::Counter(
      it * static_cast<double>(weights.size()) / 1e9, benchmark::Counter::kIsRate);
  state.counters["GMAC/s"] = benchmark::Counter(it * static_cast<double>(rows * cols * nx) / 1e9,
                                                benchmark::Counter::kIsRate);
  state.SetLabel(std::string(k->name));
}
BENCHMARK(BM_MatMulQ8)
    ->Name("MatMul/Q8_0-16384x4096/kernels/rows")
    ->ArgsProduct({{1, 2}, {1, 4, 16, 64}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(0.5);

// stories260K decode on one thread, the way `aegaeon run` decodes (one row per step, contexts
// 1..256), with the active (SIMD) kernels and with the scalar ones that repeat llama2.c's loops.
void BM_Stories(benchmark::State& state) {
  const std::string dir = std::string(LLMS_SHARED_DIR) + "/models/stories260K";
  auto loaded = LoadModelFiles(dir + "/stories260K.bin", dir + "/tok512.bin");
  if (!loaded.ok()) {
    state.SkipWithError("../shared/models/stories260K is absent");
    return;
  }
  const Model& m = loaded->model;
  const bool scalar = state.range(0) == 1;
  if (scalar) SetActiveKernels(&ScalarKernels());
  KvCache cache(m.config, 256 / KvCache::kBlockTokens);
  Transformer tf(m, cache);
  int64_t tokens = 0;
  for (auto _ : state) {
    BlockTable seq;
    cache.Reserve(seq, 256);
    int token = 1;
    for (int pos = 0; pos < 256; ++pos) {
      BatchRow row{&seq, token, pos, true};
      const auto& logits = tf.Forward(std::span<const BatchRow>(&row, 1));
      token = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    }
    cache.Release(seq);
    tokens += 256;
  }
  SetActiveKernels(nullptr);
  state.counters["tok/s"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.SetLabel(scalar ? "scalar (llama2.c's loops)" : std::string(ActiveKernels().name));
}
BENCHMARK(BM_Stories)
    ->Name("Stories260K/1-thread/scalar")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace
}  // namespace llms::engine

BENCHMARK_MAIN();
