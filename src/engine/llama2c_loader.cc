// llama2.c model loading: header validation, tensor layout, mapping.
#include "engine/llama2c_loader.h"

#include <cstring>

#include <fmt/format.h>

namespace llms::engine {

Result<Model> LoadLlama2cModel(const std::string& path) {
  auto mapped = MappedFile::Open(path, /*populate=*/true);
  if (!mapped.ok()) return mapped.status();
  auto file = std::make_shared<const MappedFile>(std::move(mapped).value());
  const std::string_view bytes = file->view();
  constexpr size_t kHeader = 7 * sizeof(int32_t);
  if (bytes.size() < kHeader) {
    return Result<Model>::Error(fmt::format(
        "{}: {} bytes, too short for a llama2.c header (28 bytes)", path, bytes.size()));
  }
  int32_t h[7];
  std::memcpy(h, bytes.data(), kHeader);
  Model m;
  ModelConfig& c = m.config;
  c.dim = h[0];
  c.hidden_dim = h[1];
  c.n_layers = h[2];
  c.n_heads = h[3];
  c.n_kv_heads = h[4];
  const bool shared = h[5] > 0;
  c.vocab_size = h[5] > 0 ? h[5] : -h[5];
  c.seq_len = h[6];
  const bool sane = c.dim > 0 && c.hidden_dim > 0 && c.n_layers > 0 && c.n_heads > 0 &&
                    c.n_kv_heads > 0 && c.vocab_size > 0 && c.seq_len > 0 &&
                    c.dim % c.n_heads == 0 && c.n_heads % c.n_kv_heads == 0 && c.dim <= (1 << 16) &&
                    c.n_layers <= 1024 && c.vocab_size <= (1 << 22) && c.seq_len <= (1 << 22);
  if (!sane) {
    return Result<Model>::Error(
        fmt::format("{}: not a llama2.c model: header dim={} hidden_dim={} n_layers={} n_heads={} "
                    "n_kv_heads={} vocab={} "
                    "seq_len={} is inconsistent",
                    path, h[0], h[1], h[2], h[3], h[4], h[5], h[6]));
  }
  const int64_t dim = c.dim, hidden = c.hidden_dim, L = c.n_layers, hs = c.head_dim();
  const int64_t q_dim = c.n_heads * hs, kv_dim = c.kv_dim(), vocab = c.vocab_size;
  int64_t floats = vocab * dim + L * dim + L * q_dim * dim + 2 * L * kv_dim * dim +
                   L * dim * q_dim + L * dim + 2 * L * hidden * dim + L * dim * hidden + dim +
                   c.seq_len * hs;  // + legacy RoPE tables
  if (!shared) floats += vocab * dim;
  const int64_t need = static_cast<int64_t>(kHeader) + floats * 4;
  if (static_cast<int64_t>(bytes.size()) < need) {
    return Result<Model>::Error(fmt::format(
        "{}: truncated: the header describes {} bytes of weights but the file has {} bytes", path,
        need, bytes.size()));
  }
  if (static_cast<int64_t>(bytes.size()) > need) {
    return Result<Model>::Error(
        fmt::format("{}: {} unexpected bytes after the weights the header describes (wrong vocab "
                    "sign or not a llama2.c file?)",
                    path, static_cast<int64_t>(bytes.size()) - need));
  }
  const float* p = reinterpret_cast<const float*>(bytes.data() + kHeader);
  auto take = [&](int64_t rows, int64_t cols) {
    Tensor t{GgmlType::kF32, p, rows, cols};
    p += rows * cols;
    return t;
  };
  m.token_embedding = take(vocab, dim);
  m.layers.resize(static_cast<size_t>(L));
  for (auto& l : m.layers) l.rms_att = take(1, dim);
  for (auto& l : m.layers) l.wq = take(q_dim, dim);
  for (auto& l : m.layers) l.wk = take(kv_dim, dim);
  for (auto& l : m.layers) l.wv = take(kv_dim, dim);
  for (auto& l : m.layers) l.wo = take(dim, q_dim);
  for (auto& l : m.layers) l.rms_ffn = take(1, dim);
  for (auto& l : m.layers) l.w1 = take(hidden, dim);
  for (auto& l : m.layers) l.w2 = take(dim, hidden);
  for (auto& l : m.layers) l.w3 = take(hidden, dim);
  m.rms_final = take(1, dim);
  p += c.seq_len * hs;  // legacy freq_cis_real / freq_cis_imag tables, unused
  m.classifier = shared ? m.token_embedding : take(vocab, dim);
  m.file = std::move(file);
  return m;
}

}  // namespace llms::engine
