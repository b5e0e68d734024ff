// Scalar reference kernels, dispatch and the matrix product driver.
#include "engine/kernels.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "engine/kquants.h"

namespace llms::engine {

namespace {

// Sequential sums in index order: for F32 this is llama2.c's arithmetic exactly.
float DotF32(const float* w, const float* x, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += w[i] * x[i];
  return s;
}
float DotF16(const uint16_t* w, const float* x, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += F16ToF32(w[i]) * x[i];
  return s;
}
float DotBF16(const uint16_t* w, const float* x, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += BF16ToF32(w[i]) * x[i];
  return s;
}
// x: 32 int8 per block, xd: the blocks' scales.
float DotQ8(const BlockQ8_0* w, const int8_t* x, const float* xd, int64_t n) {
  float s = 0.0f;
  for (int64_t b = 0; b < n / kQBlock; ++b) {
    int32_t acc = 0;
    for (int j = 0; j < kQBlock; ++j) acc += w[b].qs[j] * x[b * kQBlock + j];
    s += F16ToF32(w[b].d) * xd[b] * static_cast<float>(acc);
  }
  return s;
}
float DotQ4(const BlockQ4_0* w, const int8_t* x, const float* xd, int64_t n) {
  float s = 0.0f;
  for (int64_t b = 0; b < n / kQBlock; ++b) {
    int32_t acc = 0;
    for (int j = 0; j < kQBlock / 2; ++j) {
      acc += ((w[b].qs[j] & 0xf) - 8) * x[b * kQBlock + j];
      acc += ((w[b].qs[j] >> 4) - 8) * x[b * kQBlock + j + kQBlock / 2];
    }
    s += F16ToF32(w[b].d) * xd[b] * static_cast<float>(acc);
  }
  return s;
}

// The 32-value block types through their QuantGroup form (the reference for the types without a
// hand-written loop above): per group, integer sums per 16 values scaled in integers, one float
// multiply per group, minus minimum x activation sum.
template <GgmlType kType>
void GroupRows(const MatArgs& a) {
  QuantGroup grp;
  for (int64_t o = 0; o < a.rows; ++o) {
    const uint8_t* w = a.w + static_cast<size_t>(o) * a.w_stride;
    for (int64_t j = 0; j < a.nx; ++j) a.out[j * a.out_stride + o] = 0.0f;
    for (int64_t g = 0; g < a.n / kQBlock; ++g) {
      UnpackGroup(kType, w, g, grp);
      for (int64_t j = 0; j < a.nx; ++j) {
        const int8_t* x = a.xq + (j * a.x_stride + g) * kQBlock;
        int32_t dot[2] = {0, 0}, sum[2] = {0, 0};
        for (int i = 0; i < kQBlock; ++i) {
          dot[i / 16] += grp.q[i] * x[i];
          sum[i / 16] += x[i];
        }
        const float xd = a.xd[j * a.x_stride + g];
        const int32_t scaled = grp.scale[0] * dot[0] + grp.scale[1] * dot[1];
        a.out[j * a.out_stride + o] += xd * (grp.d * static_cast<float>(scaled)) -
                                       xd * (grp.min[0] * sum[0] + grp.min[1] * sum[1]);
      }
    }
  }
}

// The K-quants over Q8_K activations through their QuantGroup form: per super-block the integer
// sums of its 8 groups, scaled per 16 in integers, then one float multiply with d_w * d_x; minimums
// times the activations' sums per 16.
template <GgmlType kType>
void KRows(const MatArgs& a) {
  constexpr int kGroups = kQK / kQBlock;
  QuantGroup grp[kGroups];
  for (int64_t o = 0; o < a.rows; ++o) {
    const uint8_t* w = a.w + static_cast<size_t>(o) * a.w_stride;
    for (int64_t j = 0; j < a.nx; ++j) a.out[j * a.out_stride + o] = 0.0f;
    for (int64_t sb = 0; sb < a.n / kQK; ++sb) {
      for (int k = 0; k < kGroups; ++k) UnpackGroup(kType, w, sb * kGroups + k, grp[k]);
      for (int64_t j = 0; j < a.nx; ++j) {
        const int8_t* x = a.xq + (j * a.x_stride + sb) * kQK;
        const int16_t* bsums = a.xsum + (j * a.x_stride + sb) * (kQK / 16);
        int32_t isum = 0;
        float mins = 0.0f;
        for (int k = 0; k < kGroups; ++k) {
          for (int h = 0; h < 2; ++h) {
            int32_t dot = 0;
            for (int i = 0; i < 16; ++i) dot += grp[k].q[h * 16 + i] * x[k * kQBlock + h * 16 + i];
            isum += grp[k].scale[h] * dot;
            mins += grp[k].min[h] * static_cast<float>(bsums[2 * k + h]);
          }
        }
        const float dx = a.xd[j * a.x_stride + sb];
        a.out[j * a.out_stride + o] += grp[0].d * dx * static_cast<float>(isum) - dx * mins;
      }
    }
  }
}

// One weight row and one activation row at a time.
template <typename W, float (*Dot)(const W*, const float*, int64_t)>
void FloatRows(const MatArgs& a) {
  for (int64_t o = 0; o < a.rows; ++o) {
    const W* w = reinterpret_cast<const W*>(a.w + static_cast<size_t>(o) * a.w_stride);
    for (int64_t j = 0; j < a.nx; ++j)
      a.out[j * a.out_stride + o] = Dot(w, a.x + j * a.x_stride, a.n);
  }
}
template <typename W, float (*Dot)(const W*, const int8_t*, const float*, int64_t)>
void QuantRows(const MatArgs& a) {
  for (int64_t o = 0; o < a.rows; ++o) {
    const W* w = reinterpret_cast<const W*>(a.w + static_cast<size_t>(o) * a.w_stride);
    for (int64_t j = 0; j < a.nx; ++j)
      a.out[j * a.out_stride + o] =
          Dot(w, a.xq + j * a.x_stride * kQBlock, a.xd + j * a.x_stride, a.n);
  }
}

void AttnScores(const float* q, int heads, const float* k, int64_t stride, int count, int hs,
                float scale, float* out, int64_t out_stride) {
  for (int j = 0; j < heads; ++j) {
    const float* qj = q + static_cast<int64_t>(j) * hs;
    for (int t = 0; t < count; ++t) {
      const float* kt = k + t * stride;
      float score = 0.0f;
      for (int i = 0; i < hs; ++i) score += qj[i] * kt[i];
      out[j * out_stride + t] = score * scale;
    }
  }
}
void AttnAccumulate(const float* a, int64_t a_stride, int heads, const float* v, int64_t stride,
                    int count, int hs, float* out) {
  for (int j = 0; j < heads; ++j) {
    float* oj = out + static_cast<int64_t>(j) * hs;
    for (int t = 0; t < count; ++t) {
      const float* vt = v + t * stride;
      for (int i = 0; i < hs; ++i) oj[i] += a[j * a_stride + t] * vt[i];
    }
  }
}
// ggml's reference Q8_0 quantization (QuantizeRow's), split into values and float scales.
void QuantizeQ8(const float* x, int64_t n, int8_t* q, float* d) {
  for (int64_t b = 0; b < n / kQBlock; ++b) {
    BlockQ8_0 block;
    QuantizeRow(GgmlType::kQ8_0, x + b * kQBlock, &block, kQBlock);
    std::memcpy(q + b * kQBlock, block.qs, kQBlock);
    d[b] = F16ToF32(block.d);
  }
}

// llama2.c's softmax.
void Softmax(float* x, int size) {
  float max_val = x[0];
  for (int i = 1; i < size; ++i) max_val = std::max(max_val, x[i]);
  float sum = 0.0f;
  for (int i = 0; i < size; ++i) {
    x[i] = std::exp(x[i] - max_val);
    sum += x[i];
  }
  for (int i = 0; i < size; ++i) x[i] /= sum;
}

constexpr DotKernels kScalar{"scalar",
                             FloatRows<float, DotF32>,
                             FloatRows<uint16_t, DotF16>,
                             FloatRows<uint16_t, DotBF16>,
                             QuantRows<BlockQ8_0, DotQ8>,
                             QuantRows<BlockQ4_0, DotQ4>,
                             AttnScores,
                             AttnAccumulate,
                             Softmax,
                             QuantizeQ8,
                             GroupRows<GgmlType::kQ4_1>,
                             GroupRows<GgmlType::kQ5_0>,
                             GroupRows<GgmlType::kQ5_1>,
                             KRows<GgmlType::kQ2_K>,
                             KRows<GgmlType::kQ3_K>,
                             KRows<GgmlType::kQ4_K>,
                             KRows<GgmlType::kQ5_K>,
                             KRows<GgmlType::kQ6_K>};

}  // namespace

const DotKernels* Avx2KernelsIfBuilt();    // kernels_avx2.cc
const DotKernels* Avx512KernelsIfBuilt();  // kernels_avx512.cc

MatKernel DotKernels::For(GgmlType type) const {
  switch (type) {
    case GgmlType::kF32:
      return f32;
    case GgmlType::kF16:
      return f16;
    case GgmlType::kBF16:
      return bf16;
    case GgmlType::kQ8_0:
      return q8_0;
    case GgmlType::kQ4_0:
      return q4_0;
    case GgmlType::kQ4_1:
      return q4_1;
    case GgmlType::kQ5_0:
      return q5_0;
    case GgmlType::kQ5_1:
      return q5_1;
    case GgmlType::kQ2_K:
      return q2_k;
    case GgmlType::kQ3_K:
      return q3_k;
    case GgmlType::kQ4_K:
      return q4_k;
    case GgmlType::kQ5_K:
      return q5_k;
    case GgmlType::kQ6_K:
      return q6_k;
  }
  return nullptr;
}

const DotKernels& ScalarKernels() {
  return kScalar;
}

const DotKernels* Avx2Kernels() {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma") ||
      !__builtin_cpu_supports("f16c")) {
    return nullptr;
  }
  return Avx2KernelsIfBuilt();
}

const DotKernels* Avx512Kernels() {
  if (!Avx2Kernels()) return nullptr;  // attention and softmax come from the AVX2 kernels
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
      !__builtin_cpu_supports("avx512vl") || !__builtin_cpu_supports("avx512dq") ||
      !__builtin_cpu_supports("avx512vnni")) {
    return nullptr;
  }
  return Avx512KernelsIfBuilt();
}

namespace {
// The widest kernels the CPU runs, or the ones LLMS_KERNELS names (when the CPU runs them).
const DotKernels* DefaultKernels() {
  const char* force = std::getenv("LLMS_KERNELS");
  const std::string_view want = force ? force : "";
  if (want == "scalar") return &kScalar;
  const DotKernels* avx2 = Avx2Kernels();
  const DotKernels* avx512 = want == "avx2" ? nullptr : Avx512Kernels();
  return avx512 ? avx512 : avx2 ? avx2 : &kScalar;
}
std::atomic<const DotKernels*> active_kernels{nullptr};
}  // namespace

const DotKernels& ActiveKernels() {
  const DotKernels* k = active_kernels.load(std::memory_order_acquire);
  if (!k) {
    k = DefaultKernels();
    active_kernels.store(k, std::memory_order_release);
  }
  return *k;
}

void SetActiveKernels(const DotKernels* kernels) {
  active_kernels.store(kernels);
}

void MatMulGroup(std::span<const MatMulJob> jobs, const float* in, int64_t n, ThreadPool* pool,
                 const DotKernels& k) {
  if (jobs.empty()) return;
  const int64_t cols = jobs[0].w->cols;
  bool q8_0 = false, q8_k = false, mins = false;
  int64_t total_rows = 0;
  for (const MatMulJob& job : jobs) {
    q8_k |= IsKQuant(job.w->type);
    q8_0 |= IsQuantized(job.w->type) && !IsKQuant(job.w->type);
    mins |= HasMins(job.w->type) && !IsKQuant(job.w->type);
    total_rows += job.w->rows;
  }
  // Activations as Q8_0 (values 64-byte aligned for aligned SIMD loads, scales as floats, sums per
  // 16 where a type has minimums) and as Q8_K for K-quant weights, each made once for the group.
  struct Quantized {
    std::vector<int8_t> values;
    std::vector<float> scales;
    std::vector<int16_t> sums;
    int8_t* Aligned() {
      return values.data() + (64 - reinterpret_cast<uintptr_t>(values.data()) % 64) % 64;
    }
  };
  // The calling thread's buffers; the workers reach them through these references (a worker's own
  // thread_local copies are other objects).
  thread_local Quantized a0_buf, ak_buf;
  Quantized& a0 = a0_buf;
  Quantized& ak = ak_buf;
  const int64_t blocks = cols / kQBlock, superblocks = cols / kQK;
  if (q8_0 || q8_k) {
    if (q8_0) {
      a0.values.resize(static_cast<size_t>(n * cols) + 64);
      a0.scales.resize(static_cast<size_t>(n * blocks));
      if (mins) a0.sums.resize(static_cast<size_t>(n * blocks * 2));
    }
    if (q8_k) {
      ak.values.resize(static_cast<size_t>(n * cols) + 64);
      ak.scales.resize(static_cast<size_t>(n * superblocks));
      ak.sums.resize(static_cast<size_t>(n * cols / 16));
    }
    auto quantize = [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        if (q8_0) {
          int8_t* q = a0.Aligned() + r * cols;
          k.quantize_q8(in + r * cols, cols, q, a0.scales.data() + r * blocks);
          for (int64_t h = 0; mins && h < blocks * 2; ++h) {
            int32_t s = 0;
            for (int i = 0; i < 16; ++i) s += q[h * 16 + i];
            a0.sums[static_cast<size_t>(r * blocks * 2 + h)] = static_cast<int16_t>(s);
          }
        }
        if (q8_k) {
          QuantizeQ8K(in + r * cols, cols, ak.Aligned() + r * cols,
                      ak.scales.data() + r * superblocks, ak.sums.data() + r * cols / 16);
        }
      }
    };
    // A prefill quantizes many rows: split them over the threads too.
    if (pool && pool->size() > 1 && n * cols >= (int64_t{1} << 16)) {
      pool->ParallelFor(n, quantize);
    } else {
      quantize(0, n);
    }
  }
  ActivationScratch scratch;
  // Rows of all jobs form one index space [0, total_rows), split over the threads.
  auto body = [&](int64_t g0, int64_t g1) {
    int64_t base = 0;
    for (const MatMulJob& job : jobs) {
      const Tensor& w = *job.w;
      const int64_t lo = std::max(g0, base), hi = std::min(g1, base + w.rows);
      if (lo < hi) {
        const bool kq = IsKQuant(w.type);
        Quantized& act = kq ? ak : a0;
        const MatArgs args{
            static_cast<const uint8_t*>(w.data) + static_cast<size_t>(lo - base) * w.row_bytes(),
            w.row_bytes(),
            hi - lo,
            in,
            act.Aligned(),
            act.scales.data(),
            act.sums.data(),
            kq                    ? superblocks
            : IsQuantized(w.type) ? blocks
                                  : cols,
            n,
            cols,
            job.out + (lo - base),
            w.rows,
            &scratch};
        k.For(w.type)(args);
      }
      base += w.rows;
    }
  };
  // Below about 256K multiply-adds a thread hand-off costs more than it saves. Rows go out in
  // dynamic chunks of at least 64 KiB of weights (a chunk starts a new memory stream).
  if (pool && pool->size() > 1 && total_rows * cols * n >= (int64_t{1} << 18)) {
    const int64_t min_rows =
        std::max<int64_t>(4, (int64_t{64} << 10) / static_cast<int64_t>(jobs[0].w->row_bytes()));
    pool->ParallelForDynamic(total_rows, min_rows, body);
  } else {
    body(0, total_rows);
  }
}

void MatMul(const Tensor& w, const float* in, int64_t n, float* out, ThreadPool* pool,
            const DotKernels& k) {
  const MatMulJob job{&w, out};
  MatMulGroup(std::span<const MatMulJob>(&job, 1), in, n, pool, k);
}

void GetRow(const Tensor& w, int64_t row, float* out) {
  DequantizeRow(w.type, w.Row(row), out, w.cols);
}

}  // namespace llms::engine
