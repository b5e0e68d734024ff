// Kernels: the engine's matrix products over weights of any supported type, with a scalar
// reference implementation, an AVX2/FMA/F16C one and an AVX-512 (F/BW/VL/DQ/VNNI) one, the widest
// the CPU supports chosen at run time (LLMS_KERNELS=scalar, avx2 or avx512 in the environment
// forces one). Quantized weights are never dequantized as a whole: the activations are quantized
// once per call, as ggml does, to Q8_0 (32 int8 with one scale) for the 32-value block types and
// to Q8_K (256 int8 with one scale and sums per 16) for the K-quants, and each weight block is
// multiplied in integers. The 32-value types apply one float scale per block (and, for Q4_1/Q5_1,
// minimum x activation sum per block); a K-quant super-block's sub-block scales apply in integers
// and its minimums through the activation sums, one float multiply-add per 256 values. (ggml takes
// Q4_1/Q5_1 against Q8_1 activations, whose sums it stores rounded to F16; here the sums are exact,
// a difference far below the quantization's.)
// MatMul splits the output rows over a ThreadPool when the product is large enough to pay for it.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "core/thread_pool.h"
#include "engine/ggml_types.h"
#include "engine/model.h"

namespace llms::engine {

// Matrix kernels: out[j * out_stride + o] = W_o . X_j for weight rows o < rows (W_o at
// w + o * w_stride bytes) and activation rows j < nx (X_j at x + j * x_stride floats, or for
// quantized weights the Q8_0 values xq + j * x_stride * 32 (64-byte aligned, 32 per block) with
// their block scales as floats at xd + j * x_stride). Inside,
// each weight row is loaded once per tile of kTileRows activation rows. The arithmetic for one
// activation row is the same whatever nx, so a sequence's results do not depend on its batch.
constexpr int kTileRows = 4;
// What a kernel set derives from a product's quantized activations once and shares across the
// product's chunks and threads (the AVX-512 set's accumulator offsets, one slot per weight type):
// MatMulGroup makes one per product, a kernel fills a slot under its once_flag.
struct ActivationScratch {
  struct alignas(64) Line {
    int32_t lanes[16];
  };
  std::once_flag filled[2];
  std::vector<Line> lines[2];
};
struct MatArgs {
  const uint8_t* w;
  size_t w_stride;
  int64_t rows;
  const float* x;
  const int8_t* xq;
  const float* xd;
  // Sums of 16 quantized activations (Q8_0: for the HasMins types, 2 per block). For K-quant
  // weights xq, xd and xsum are Q8_K's values, scales per 256 and sums per 16, and x_stride counts
  // 256-value super-blocks.
  const int16_t* xsum;
  int64_t x_stride;
  int64_t nx;
  int64_t n;  // values per row
  float* out;
  int64_t out_stride;
  ActivationScratch* scratch;  // shared by every call of one product
};
using MatKernel = void (*)(const MatArgs&);

struct DotKernels {
  std::string_view name;
  MatKernel f32, f16, bf16, q8_0, q4_0;
  // Attention over the `count` positions of one KV block for `heads` query heads that share its
  // KV head (grouped-query attention; their queries at q + j * hs), each key and value read once
  // for all of them. Rows t at k + t * stride:
  //   out[j * out_stride + t] = scale * (q_j . k_t), and
  //   out_j += sum_t a[j * a_stride + t] * v_t   (out_j at out + j * hs; hs values each).
  // Each head's arithmetic is the same whatever `heads` is.
  void (*attn_scores)(const float* q, int heads, const float* k, int64_t stride, int count, int hs,
                      float scale, float* out, int64_t out_stride);
  void (*attn_accumulate)(const float* a, int64_t a_stride, int heads, const float* v,
                          int64_t stride, int count, int hs, float* out);
  // In place: x = softmax(x) over n values.
  void (*softmax)(float* x, int n);
  // One activation row as Q8_0 (n a multiple of 32): values q (32-byte aligned) and each block's
  // scale d as the float of its F16 (what a Q8_0 block stores), max |x| / 127 per block.
  void (*quantize_q8)(const float* x, int64_t n, int8_t* q, float* d);
  MatKernel q4_1, q5_0, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k;

  // The kernel for weights of `type`.
  MatKernel For(GgmlType type) const;
};

const DotKernels& ScalarKernels();
const DotKernels* Avx2Kernels();    // null when the CPU (or the build) lacks AVX2, FMA and F16C
const DotKernels* Avx512Kernels();  // null without AVX-512 F/BW/VL/DQ/VNNI (and AVX2's features)
const DotKernels& ActiveKernels();
// Replaces the active kernels (benchmarks compare implementations in one run); null restores the
// CPU-dependent default. Not thread-safe: call before computing.
void SetActiveKernels(const DotKernels* kernels);

// out[r * w.rows + o] = W[o] . in[r * w.cols ...] for every row r < n and output o < w.rows.
void MatMul(const Tensor& w, const float* in, int64_t n, float* out, ThreadPool* pool = nullptr,
            const DotKernels& k = ActiveKernels());

// Several products of the same input (Q, K and V; gate and up) in one parallel pass: fewer thread
// hand-offs per layer, activations quantized once. All weights have the same column count.
struct MatMulJob {
  const Tensor* w;
  float* out;  // [n][w->rows]
};
void MatMulGroup(std::span<const MatMulJob> jobs, const float* in, int64_t n,
                 ThreadPool* pool = nullptr, const DotKernels& k = ActiveKernels());

// Row `row` of w as floats (token embeddings of any type).
void GetRow(const Tensor& w, int64_t row, float* out);

}  // namespace llms::engine
