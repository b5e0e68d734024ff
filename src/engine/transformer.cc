// Transformer forward pass. Loops are written as llama2.c writes them so the arithmetic (and its
// rounding) is the same; batching only changes how often each weight row is read.
#include "engine/transformer.h"

#include <algorithm>
#include <cmath>

#include "engine/kernels.h"

namespace llms::engine {

namespace {

void RmsNorm(float* o, const float* x, const float* weight, int size, float eps) {
  float ss = 0.0f;
  for (int j = 0; j < size; ++j) ss += x[j] * x[j];
  ss /= static_cast<float>(size);
  ss += eps;
  ss = 1.0f / std::sqrt(ss);
  for (int j = 0; j < size; ++j) o[j] = weight[j] * (ss * x[j]);
}

void AddBias(float* x, const Tensor& bias, size_t n) {
  if (!bias.data) return;
  const int64_t d = bias.cols;
  for (size_t r = 0; r < n; ++r) {
    for (int64_t i = 0; i < d; ++i) x[static_cast<int64_t>(r) * d + i] += bias.f32()[i];
  }
}

}  // namespace

Transformer::Transformer(const Model& model, KvCache& cache, ThreadPool* pool)
    : model_(model), cache_(cache), pool_(pool) {
  // Each RoPE pair's frequency depends only on the model: computed once here, not per step.
  const ModelConfig& c = model_.config;
  const int hs = c.head_dim();
  inv_freq_.resize(static_cast<size_t>(hs / 2));
  for (int j = 0; j < hs / 2; ++j) {
    float freq = 1.0f / std::pow(c.rope_theta, static_cast<float>(2 * j) / static_cast<float>(hs));
    if (!c.rope_freq_factors.empty()) freq /= c.rope_freq_factors[static_cast<size_t>(j)];
    inv_freq_[static_cast<size_t>(j)] = freq;
  }
}

void Transformer::MatMul(float* out, const Tensor& w, const float* in, size_t n) {
  engine::MatMul(w, in, static_cast<int64_t>(n), out, pool_);
}

const std::vector<float>& Transformer::Forward(std::span<const BatchRow> rows) {
  const ModelConfig& c = model_.config;
  const size_t n = rows.size();
  const int dim = c.dim, kv_dim = c.kv_dim(), hs = c.head_dim(), hidden = c.hidden_dim;
  const int kv_mul = c.n_heads / c.n_kv_heads;
  int max_pos = 0;
  for (const auto& r : rows) max_pos = std::max(max_pos, r.pos);
  x_.resize(n * static_cast<size_t>(dim));
  xb_.resize(n * static_cast<size_t>(dim));
  xb2_.resize(n * static_cast<size_t>(dim));
  q_.resize(n * static_cast<size_t>(dim));
  k_.resize(n * static_cast<size_t>(kv_dim));
  v_.resize(n * static_cast<size_t>(kv_dim));
  hb_.resize(n * static_cast<size_t>(hidden));
  hb2_.resize(n * static_cast<size_t>(hidden));
  for (size_t r = 0; r < n; ++r) {
    GetRow(model_.token_embedding, rows[r].token, x_.data() + r * static_cast<size_t>(dim));
  }
  // RoPE rotations for each row's position, shared by all layers: entry j rotates the pair whose
  // first element is 2j (adjacent layout) or j (NeoX layout) within a head.
  const int half = hs / 2;
  rope_.resize(n * static_cast<size_t>(hs));
  for (size_t r = 0; r < n; ++r) {
    const float pos = static_cast<float>(rows[r].pos) / c.rope_linear_scale;
    for (int j = 0; j < half; ++j) {
      const float val = pos * inv_freq_[static_cast<size_t>(j)];
      rope_[r * static_cast<size_t>(hs) + static_cast<size_t>(2 * j)] = std::cos(val);
      rope_[r * static_cast<size_t>(hs) + static_cast<size_t>(2 * j + 1)] = std::sin(val);
    }
  }
  const float inv_sqrt_hs = 1.0f / std::sqrt(static_cast<float>(hs));
  const DotKernels& kernels = ActiveKernels();
  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& w = model_.layers[static_cast<size_t>(l)];
    for (size_t r = 0; r < n; ++r) {
      RmsNorm(&xb_[r * static_cast<size_t>(dim)], &x_[r * static_cast<size_t>(dim)],
              w.rms_att.f32(), dim, c.rms_eps);
    }
    const MatMulJob qkv[] = {{&w.wq, q_.data()}, {&w.wk, k_.data()}, {&w.wv, v_.data()}};
    MatMulGroup(qkv, xb_.data(), static_cast<int64_t>(n), pool_);
    AddBias(q_.data(), w.bq, n);
    AddBias(k_.data(), w.bk, n);
    AddBias(v_.data(), w.bv, n);
    // RoPE within each head, then store K and V in the cache.
    for (size_t r = 0; r < n; ++r) {
      float* q = &q_[r * static_cast<size_t>(dim)];
      float* k = &k_[r * static_cast<size_t>(kv_dim)];
      const int pos = rows[r].pos;
      const float* rot = &rope_[r * static_cast<size_t>(hs)];
      for (int h = 0; h < c.n_heads; ++h) {
        const bool has_kv = h < c.n_kv_heads;
        for (int j = 0; j < half; ++j) {
          const int a = c.rope_neox ? j : 2 * j, b = c.rope_neox ? j + half : 2 * j + 1;
          const float fcr = rot[2 * j], fci = rot[2 * j + 1];
          for (float* vec : {q + h * hs, has_kv ? k + h * hs : nullptr}) {
            if (!vec) continue;
            const float v0 = vec[a], v1 = vec[b];
            vec[a] = v0 * fcr - v1 * fci;
            vec[b] = v0 * fci + v1 * fcr;
          }
        }
      }
      std::copy_n(k, kv_dim, cache_.Key(l, *rows[r].sequence, pos));
      std::copy_n(&v_[r * static_cast<size_t>(kv_dim)], kv_dim,
                  cache_.Value(l, *rows[r].sequence, pos));
    }
    // Causal grouped-query attention per (row, group of query heads) over the row's own
    // sequence's cache: the query heads that share a KV head read each of its keys and values once
    // (a group is all kv_mul of them, or one head when that leaves too few items for the threads).
    const int threads = pool_ ? static_cast<int>(pool_->size()) : 1;
    const int group = static_cast<int64_t>(n) * c.n_kv_heads >= 2 * threads ? kv_mul : 1;
    const int groups_per_row = c.n_heads / group;
    auto attend = [&](int64_t begin, int64_t end) {
      thread_local std::vector<float> att;
      const size_t span = static_cast<size_t>(max_pos) + 1;  // one row of scores per head
      att.resize(span * static_cast<size_t>(group));
      for (int64_t item = begin; item < end; ++item) {
        const size_t r = static_cast<size_t>(item / groups_per_row);
        const int h0 = static_cast<int>(item % groups_per_row) * group;  // first query head
        const BlockTable& seq = *rows[r].sequence;
        const int pos = rows[r].pos;
        const size_t first = r * static_cast<size_t>(dim) + static_cast<size_t>(h0 * hs);
        const float* q = &q_[first];
        const int kv_off = (h0 / kv_mul) * hs;
        const int64_t stride = kv_dim;
        // Block by block over the sequence's positions 0..pos.
        for (int t0 = 0; t0 <= pos; t0 += KvCache::kBlockTokens) {
          const int block = seq.blocks[static_cast<size_t>(t0 / KvCache::kBlockTokens)];
          const int count = std::min(KvCache::kBlockTokens, pos + 1 - t0);
          kernels.attn_scores(q, group, cache_.KeyBlock(l, block) + kv_off, stride, count, hs,
                              inv_sqrt_hs, &att[static_cast<size_t>(t0)],
                              static_cast<int64_t>(span));
        }
        for (int j = 0; j < group; ++j)
          kernels.softmax(&att[static_cast<size_t>(j) * span], pos + 1);
        float* out = &xb_[first];
        std::fill_n(out, static_cast<size_t>(group * hs), 0.0f);
        for (int t0 = 0; t0 <= pos; t0 += KvCache::kBlockTokens) {
          const int block = seq.blocks[static_cast<size_t>(t0 / KvCache::kBlockTokens)];
          const int count = std::min(KvCache::kBlockTokens, pos + 1 - t0);
          kernels.attn_accumulate(&att[static_cast<size_t>(t0)], static_cast<int64_t>(span), group,
                                  cache_.ValueBlock(l, block) + kv_off, stride, count, hs, out);
        }
      }
    };
    const int64_t items = static_cast<int64_t>(n) * groups_per_row;
    int64_t context = 0;
    for (const auto& row : rows) context += row.pos + 1;
    if (pool_ && context * dim >= (int64_t{1} << 16)) {
      pool_->ParallelFor(items, attend);
    } else {
      attend(0, items);
    }
    MatMul(xb2_.data(), w.wo, xb_.data(), n);
    for (size_t i = 0; i < n * static_cast<size_t>(dim); ++i) x_[i] += xb2_[i];
    // SwiGLU feed-forward.
    for (size_t r = 0; r < n; ++r) {
      RmsNorm(&xb_[r * static_cast<size_t>(dim)], &x_[r * static_cast<size_t>(dim)],
              w.rms_ffn.f32(), dim, c.rms_eps);
    }
    const MatMulJob gate_up[] = {{&w.w1, hb_.data()}, {&w.w3, hb2_.data()}};
    MatMulGroup(gate_up, xb_.data(), static_cast<int64_t>(n), pool_);
    auto swiglu = [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        float val = hb_[static_cast<size_t>(i)];
        val *= 1.0f / (1.0f + std::exp(-val));
        hb_[static_cast<size_t>(i)] = val * hb2_[static_cast<size_t>(i)];
      }
    };
    const int64_t hidden_values = static_cast<int64_t>(n) * hidden;
    if (pool_ && hidden_values >= (int64_t{1} << 16)) {
      pool_->ParallelFor(hidden_values, swiglu);
    } else {
      swiglu(0, hidden_values);
    }
    MatMul(xb_.data(), w.w2, hb_.data(), n);
    for (size_t i = 0; i < n * static_cast<size_t>(dim); ++i) x_[i] += xb_[i];
  }
  // Final norm and classifier for the rows that want logits.
  size_t want = 0;
  for (const auto& r : rows) want += r.want_logits ? 1 : 0;
  logits_.resize(want * static_cast<size_t>(c.vocab_size));
  std::vector<float> normed(want * static_cast<size_t>(dim));
  size_t k = 0;
  for (size_t r = 0; r < n; ++r) {
    rows[r].sequence->length = std::max(rows[r].sequence->length, rows[r].pos + 1);
    if (!rows[r].want_logits) continue;
    RmsNorm(&normed[k * static_cast<size_t>(dim)], &x_[r * static_cast<size_t>(dim)],
            model_.rms_final.f32(), dim, c.rms_eps);
    ++k;
  }
  MatMul(logits_.data(), model_.classifier, normed.data(), want);
  return logits_;
}

}  // namespace llms::engine
