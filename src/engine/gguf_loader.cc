// GGUF -> Model and Tokenizer.
#include "engine/gguf_loader.h"

#include <fmt/format.h>

#include <cmath>

#include "engine/gpt2_tokenizer.h"
#include "engine/sentencepiece_tokenizer.h"

namespace llms::engine {

namespace {

template <typename T>
Status Get(const Result<std::optional<T>>& r, T& out, bool required, const std::string& file,
           const std::string& key) {
  if (!r.ok()) return r.status();
  if (r.value()) {
    out = *r.value();
  } else if (required) {
    return Status::Error(fmt::format("{}: missing metadata '{}'", file, key));
  }
  return Status::Ok();
}

}  // namespace

std::vector<GgufTensorSlot> GgufTensorSlots(Model& m) {
  const ModelConfig& c = m.config;
  const int64_t dim = c.dim, hidden = c.hidden_dim, vocab = c.vocab_size, kv = c.kv_dim();
  std::vector<GgufTensorSlot> s{{"token_embd.weight", vocab, dim, false, &m.token_embedding},
                                {"output_norm.weight", 1, dim, false, &m.rms_final},
                                {"output.weight", vocab, dim, true, &m.classifier}};
  const bool biases = c.architecture == "qwen2";
  for (size_t l = 0; l < m.layers.size(); ++l) {
    LayerWeights& w = m.layers[l];
    const std::string b = fmt::format("blk.{}.", l);
    s.push_back({b + "attn_norm.weight", 1, dim, false, &w.rms_att});
    s.push_back({b + "attn_q.weight", dim, dim, false, &w.wq});
    s.push_back({b + "attn_k.weight", kv, dim, false, &w.wk});
    s.push_back({b + "attn_v.weight", kv, dim, false, &w.wv});
    s.push_back({b + "attn_output.weight", dim, dim, false, &w.wo});
    s.push_back({b + "ffn_norm.weight", 1, dim, false, &w.rms_ffn});
    s.push_back({b + "ffn_gate.weight", hidden, dim, false, &w.w1});
    s.push_back({b + "ffn_down.weight", dim, hidden, false, &w.w2});
    s.push_back({b + "ffn_up.weight", hidden, dim, false, &w.w3});
    if (biases) {
      s.push_back({b + "attn_q.bias", 1, dim, false, &w.bq});
      s.push_back({b + "attn_k.bias", 1, kv, false, &w.bk});
      s.push_back({b + "attn_v.bias", 1, kv, false, &w.bv});
    }
  }
  return s;
}

Result<Model> LoadGgufModel(const GgufFile& f) {
  const std::string& name = f.name();
  auto arch_r = f.GetString("general.architecture");
  if (!arch_r.ok()) return arch_r.status();
  if (!arch_r.value()) return Status::Error(name + ": missing metadata 'general.architecture'");
  const std::string arch = *arch_r.value();
  if (arch != "llama" && arch != "qwen2") {
    return Status::Error(
        fmt::format("{}: architecture '{}' is not supported (supported: llama, "
                    "qwen2)",
                    name, arch));
  }
  Model m;
  ModelConfig& c = m.config;
  c.architecture = arch;
  c.rope_neox = arch == "qwen2";
  int64_t dim = 0, hidden = 0, layers = 0, heads = 0, kv_heads = -1, ctx = 2048;
  double theta = 10000.0, eps = 1e-5;
  const std::string p = arch + ".";
  LLMS_RETURN_IF_ERROR(
      Get(f.GetInt(p + "embedding_length"), dim, true, name, p + "embedding_length"));
  LLMS_RETURN_IF_ERROR(
      Get(f.GetInt(p + "feed_forward_length"), hidden, true, name, p + "feed_forward_length"));
  LLMS_RETURN_IF_ERROR(Get(f.GetInt(p + "block_count"), layers, true, name, p + "block_count"));
  LLMS_RETURN_IF_ERROR(
      Get(f.GetInt(p + "attention.head_count"), heads, true, name, p + "attention.head_count"));
  LLMS_RETURN_IF_ERROR(Get(f.GetInt(p + "attention.head_count_kv"), kv_heads, false, name, ""));
  LLMS_RETURN_IF_ERROR(Get(f.GetInt(p + "context_length"), ctx, false, name, ""));
  LLMS_RETURN_IF_ERROR(Get(f.GetFloat(p + "rope.freq_base"), theta, false, name, ""));
  LLMS_RETURN_IF_ERROR(
      Get(f.GetFloat(p + "attention.layer_norm_rms_epsilon"), eps, false, name, ""));
  if (kv_heads < 0) kv_heads = heads;
  const bool sane = dim > 0 && hidden > 0 && layers > 0 && heads > 0 && kv_heads > 0 &&
                    dim % heads == 0 && heads % kv_heads == 0 && (dim / heads) % 2 == 0 &&
                    dim <= (1 << 16) && hidden <= (1 << 20) && layers <= 1024 && ctx > 0 &&
                    theta > 0 && eps > 0;
  if (!sane) {
    return Status::Error(
        fmt::format("{}: inconsistent hyper-parameters: embedding_length={} "
                    "feed_forward_length={} block_count={} head_count={} "
                    "head_count_kv={} context_length={}",
                    name, dim, hidden, layers, heads, kv_heads, ctx));
  }
  c.dim = static_cast<int>(dim);
  c.hidden_dim = static_cast<int>(hidden);
  c.n_layers = static_cast<int>(layers);
  c.n_heads = static_cast<int>(heads);
  c.n_kv_heads = static_cast<int>(kv_heads);
  c.seq_len = static_cast<int>(std::min<int64_t>(ctx, 1 << 24));
  c.rope_theta = static_cast<float>(theta);
  c.rms_eps = static_cast<float>(eps);
  const GgufTensor* embd = f.FindTensor("token_embd.weight");
  if (!embd) return Status::Error(name + ": missing tensor 'token_embd.weight'");
  c.vocab_size = static_cast<int>(embd->rows());

  // Looks up a tensor and checks its shape ([rows][cols] = ggml dims {cols, rows}).
  auto take = [&](const std::string& tname, int64_t rows, int64_t cols, bool optional,
                  Tensor& out) -> Status {
    const GgufTensor* t = f.FindTensor(tname);
    if (!t) {
      return optional ? Status::Ok()
                      : Status::Error(fmt::format("{}: missing tensor '{}' (architecture {})", name,
                                                  tname, arch));
    }
    if (t->cols() != cols || t->rows() != rows || t->dims.size() > 2) {
      return Status::Error(
          fmt::format("{}: tensor '{}' has shape [{}], expected [{}, {}] for the "
                      "model's hyper-parameters",
                      name, tname, fmt::join(t->dims, ", "), cols, rows));
    }
    out = Tensor{static_cast<GgmlType>(t->type), t->data, rows, cols};
    // Norm weights and biases are used as F32 vectors.
    if (rows == 1 && out.type != GgmlType::kF32) {
      auto& buf = m.converted.emplace_back(static_cast<size_t>(cols));
      DequantizeRow(out.type, t->data, buf.data(), cols);
      out = Tensor{GgmlType::kF32, buf.data(), 1, cols};
    }
    return Status::Ok();
  };
  m.layers.resize(static_cast<size_t>(layers));
  for (const GgufTensorSlot& slot : GgufTensorSlots(m)) {
    LLMS_RETURN_IF_ERROR(take(slot.name, slot.rows, slot.cols, slot.optional, *slot.tensor));
  }
  if (!m.classifier.data) m.classifier = m.token_embedding;  // tied embeddings
  // RoPE scaling: Llama 3.1+ frequency factors (as llama.cpp's converter writes them), or the
  // older linear position scaling.
  if (const GgufTensor* t = f.FindTensor("rope_freqs.weight")) {
    const int64_t half = c.head_dim() / 2;
    if (t->dims.size() != 1 || t->cols() != half) {
      return Status::Error(
          fmt::format("{}: tensor 'rope_freqs.weight' has shape [{}], expected "
                      "[{}] (head size / 2)",
                      name, fmt::join(t->dims, ", "), half));
    }
    c.rope_freq_factors.resize(static_cast<size_t>(half));
    DequantizeRow(static_cast<GgmlType>(t->type), t->data, c.rope_freq_factors.data(), half);
    for (float v : c.rope_freq_factors) {
      if (!(v > 0) || !std::isfinite(v)) {
        return Status::Error(name + ": 'rope_freqs.weight' holds a factor that is not positive");
      }
    }
  }
  auto scaling = f.GetString(p + "rope.scaling.type");
  if (!scaling.ok()) return scaling.status();
  if (scaling->has_value() && **scaling != "none") {
    if (**scaling != "linear") {
      return Status::Error(
          fmt::format("{}: RoPE scaling type '{}' is not supported (none and "
                      "linear are; Llama 3.1's factors come as rope_freqs.weight)",
                      name, **scaling));
    }
    double factor = 1.0;
    LLMS_RETURN_IF_ERROR(Get(f.GetFloat(p + "rope.scaling.factor"), factor, false, name, ""));
    if (!(factor >= 1)) {
      return Status::Error(
          fmt::format("{}: {}rope.scaling.factor {} must be >= 1", name, p, factor));
    }
    c.rope_linear_scale = static_cast<float>(factor);
  }
  m.file = f.mapping();
  return m;
}

Result<std::unique_ptr<Tokenizer>> LoadGgufTokenizer(const GgufFile& f) {
  const std::string& name = f.name();
  auto kind = f.GetString("tokenizer.ggml.model");
  if (!kind.ok()) return kind.status();
  if (!kind.value()) {
    return Status::Error(name + ": the file embeds no tokenizer (no 'tokenizer.ggml.model')");
  }
  auto tokens = f.GetStringArray("tokenizer.ggml.tokens");
  if (!tokens.ok()) return tokens.status();
  if (tokens->empty()) return Status::Error(name + ": 'tokenizer.ggml.tokens' is missing or empty");
  const int64_t n = static_cast<int64_t>(tokens->size());
  int64_t bos = -1, eos = -1;
  LLMS_RETURN_IF_ERROR(Get(f.GetInt("tokenizer.ggml.bos_token_id"), bos, false, name, ""));
  LLMS_RETURN_IF_ERROR(Get(f.GetInt("tokenizer.ggml.eos_token_id"), eos, false, name, ""));
  if (bos >= n || eos >= n) {
    return Status::Error(
        fmt::format("{}: bos/eos token ids ({}, {}) are outside the {}-token "
                    "vocabulary",
                    name, bos, eos, n));
  }
  auto add_bos_r = f.GetBool("tokenizer.ggml.add_bos_token");
  if (!add_bos_r.ok()) return add_bos_r.status();
  const std::optional<bool> add_bos = add_bos_r.value();
  if (*kind.value() == "llama") {
    auto scores = f.GetFloatArray("tokenizer.ggml.scores");
    if (!scores.ok()) return scores.status();
    if (static_cast<int64_t>(scores->size()) != n) {
      return Status::Error(
          fmt::format("{}: {} tokenizer scores for {} tokens", name, scores->size(), n));
    }
    // GGUF pieces mark spaces with U+2581 as SentencePiece does; the engine's tokenizer uses ' '.
    std::vector<std::string> pieces;
    pieces.reserve(tokens->size());
    for (std::string_view t : *tokens) {
      std::string s;
      for (size_t i = 0; i < t.size(); ++i) {
        if (t.compare(i, 3, "\xE2\x96\x81") == 0) {
          s += ' ';
          i += 2;
        } else {
          s += t[i];
        }
      }
      pieces.push_back(std::move(s));
    }
    auto t = std::make_unique<SentencePieceTokenizer>(SentencePieceTokenizer::FromPieces(
        std::move(pieces), std::move(scores).value(), static_cast<int>(bos < 0 ? 1 : bos),
        static_cast<int>(eos < 0 ? 2 : eos)));
    t->set_add_bos(add_bos.value_or(true));
    return std::unique_ptr<Tokenizer>(std::move(t));
  }
  if (*kind.value() == "gpt2") {
    auto merges = f.GetStringArray("tokenizer.ggml.merges");
    if (!merges.ok()) return merges.status();
    auto types = f.GetIntArray("tokenizer.ggml.token_type");
    if (!types.ok()) return types.status();
    auto pre_name = f.GetString("tokenizer.ggml.pre");
    if (!pre_name.ok()) return pre_name.status();
    auto pre = Gpt2Tokenizer::PreTokenizerFromName(pre_name.value().value_or("default"));
    if (!pre.ok()) return Status::Error(name + ": " + pre.message());
    // Files that name no EOS get "<|endoftext|>" (GPT-2, Qwen2) when the vocabulary has it;
    // without a BOS id, BOS is EOS (it is only prepended when add_bos_token asks).
    for (int64_t i = 0; eos < 0 && i < n; ++i) {
      if ((*tokens)[static_cast<size_t>(i)] == "<|endoftext|>") eos = i;
    }
    if (eos < 0) {
      return Status::Error(name + ": no 'tokenizer.ggml.eos_token_id' and no <|endoftext|> token");
    }
    if (bos < 0) bos = eos;
    std::vector<std::string> toks(tokens->begin(), tokens->end());
    std::vector<std::string> merge_list(merges->begin(), merges->end());
    std::vector<int> type_list(types->begin(), types->end());
    auto t = Gpt2Tokenizer::FromVocab(std::move(toks), merge_list, std::move(type_list), *pre,
                                      static_cast<int>(bos), static_cast<int>(eos));
    if (!t.ok()) return Status::Error(name + ": " + t.message());
    auto tok = std::make_unique<Gpt2Tokenizer>(std::move(t).value());
    tok->set_add_bos(add_bos.value_or(false));  // llama.cpp's default for BPE vocabularies
    return std::unique_ptr<Tokenizer>(std::move(tok));
  }
  return Status::Error(
      fmt::format("{}: tokenizer kind '{}' is not supported (supported: llama, "
                  "gpt2)",
                  name, *kind.value()));
}

}  // namespace llms::engine
