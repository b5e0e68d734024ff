// Transformer forward pass. Loops are written as llama2.c writes them so the arithmetic (and its
// rounding) is the same; batching only changes how often each weight row is read.
#include "engine/transformer.h"

#include <algorithm>
#include <cmath>

namespace llms::engine {

namespace {

// out[r][o] = W[o] . in[r] for every row r: each weight row is read once for the whole batch.
void MatMul(float* out, const TensorF32& w, const float* in, size_t n) {
  const int64_t rows = w.rows, cols = w.cols;
  for (int64_t o = 0; o < rows; ++o) {
    const float* wr = w.Row(o);
    for (size_t r = 0; r < n; ++r) {
      const float* x = in + r * static_cast<size_t>(cols);
      float val = 0.0f;
      for (int64_t j = 0; j < cols; ++j) val += wr[j] * x[j];
      out[r * static_cast<size_t>(rows) + static_cast<size_t>(o)] = val;
    }
  }
}

void RmsNorm(float* o, const float* x, const float* weight, int size, float eps) {
  float ss = 0.0f;
  for (int j = 0; j < size; ++j) ss += x[j] * x[j];
  ss /= static_cast<float>(size);
  ss += eps;
  ss = 1.0f / std::sqrt(ss);
  for (int j = 0; j < size; ++j) o[j] = weight[j] * (ss * x[j]);
}

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

}  // namespace

Transformer::Transformer(const Model& model, KvCache& cache) : model_(model), cache_(cache) {}

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
  att_.resize(static_cast<size_t>(max_pos) + 1);
  for (size_t r = 0; r < n; ++r) {
    std::copy_n(model_.token_embedding.Row(rows[r].token), dim,
                x_.data() + r * static_cast<size_t>(dim));
  }
  const float inv_sqrt_hs = 1.0f / std::sqrt(static_cast<float>(hs));
  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& w = model_.layers[static_cast<size_t>(l)];
    for (size_t r = 0; r < n; ++r) {
      RmsNorm(&xb_[r * static_cast<size_t>(dim)], &x_[r * static_cast<size_t>(dim)], w.rms_att.data,
              dim, c.rms_eps);
    }
    MatMul(q_.data(), w.wq, xb_.data(), n);
    MatMul(k_.data(), w.wk, xb_.data(), n);
    MatMul(v_.data(), w.wv, xb_.data(), n);
    // RoPE on adjacent pairs within each head, then store K and V in the cache.
    for (size_t r = 0; r < n; ++r) {
      float* q = &q_[r * static_cast<size_t>(dim)];
      float* k = &k_[r * static_cast<size_t>(kv_dim)];
      const int pos = rows[r].pos;
      for (int i = 0; i < dim; i += 2) {
        const int head_dim = i % hs;
        const float freq =
            1.0f / std::pow(c.rope_theta, static_cast<float>(head_dim) / static_cast<float>(hs));
        const float val = static_cast<float>(pos) * freq;
        const float fcr = std::cos(val), fci = std::sin(val);
        const int rotn = i < kv_dim ? 2 : 1;
        for (int vv = 0; vv < rotn; ++vv) {
          float* vec = vv == 0 ? q : k;
          const float v0 = vec[i], v1 = vec[i + 1];
          vec[i] = v0 * fcr - v1 * fci;
          vec[i + 1] = v0 * fci + v1 * fcr;
        }
      }
      std::copy_n(k, kv_dim, cache_.Key(l, *rows[r].sequence, pos));
      std::copy_n(&v_[r * static_cast<size_t>(kv_dim)], kv_dim,
                  cache_.Value(l, *rows[r].sequence, pos));
    }
    // Causal grouped-query attention per row over its own sequence's cache.
    for (size_t r = 0; r < n; ++r) {
      const BlockTable& seq = *rows[r].sequence;
      const int pos = rows[r].pos;
      for (int h = 0; h < c.n_heads; ++h) {
        const float* q = &q_[r * static_cast<size_t>(dim) + static_cast<size_t>(h * hs)];
        const int kv_off = (h / kv_mul) * hs;
        for (int t = 0; t <= pos; ++t) {
          const float* k = cache_.Key(l, seq, t) + kv_off;
          float score = 0.0f;
          for (int i = 0; i < hs; ++i) score += q[i] * k[i];
          att_[static_cast<size_t>(t)] = score * inv_sqrt_hs;
        }
        Softmax(att_.data(), pos + 1);
        float* out = &xb_[r * static_cast<size_t>(dim) + static_cast<size_t>(h * hs)];
        std::fill_n(out, hs, 0.0f);
        for (int t = 0; t <= pos; ++t) {
          const float* v = cache_.Value(l, seq, t) + kv_off;
          const float a = att_[static_cast<size_t>(t)];
          for (int i = 0; i < hs; ++i) out[i] += a * v[i];
        }
      }
    }
    MatMul(xb2_.data(), w.wo, xb_.data(), n);
    for (size_t i = 0; i < n * static_cast<size_t>(dim); ++i) x_[i] += xb2_[i];
    // SwiGLU feed-forward.
    for (size_t r = 0; r < n; ++r) {
      RmsNorm(&xb_[r * static_cast<size_t>(dim)], &x_[r * static_cast<size_t>(dim)], w.rms_ffn.data,
              dim, c.rms_eps);
    }
    MatMul(hb_.data(), w.w1, xb_.data(), n);
    MatMul(hb2_.data(), w.w3, xb_.data(), n);
    for (size_t i = 0; i < n * static_cast<size_t>(hidden); ++i) {
      float val = hb_[i];
      val *= 1.0f / (1.0f + std::exp(-val));
      hb_[i] = val * hb2_[i];
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
            model_.rms_final.data, dim, c.rms_eps);
    ++k;
  }
  MatMul(logits_.data(), model_.classifier, normed.data(), want);
  return logits_;
}

}  // namespace llms::engine
