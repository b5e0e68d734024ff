// GGUF writing of converted, requantized and random-weight models.
#include "engine/model_writer.h"

#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "core/rng.h"
#include "core/thread_pool.h"
#include "engine/gguf.h"
#include "engine/gguf_loader.h"
#include "engine/gguf_writer.h"
#include "engine/llama2c_loader.h"
#include "engine/sentencepiece_tokenizer.h"

namespace llms::engine {

namespace {

void SetModelMetadata(GgufWriter& w, const ModelConfig& c, const std::string& name,
                      const FileType& type) {
  const std::string& a = c.architecture;
  w.SetString("general.architecture", a);
  w.SetString("general.name", name);
  w.SetUint32("general.file_type", type.id);
  w.SetUint32("general.quantization_version", 2);  // ggml's GGML_QNT_VERSION, as llama.cpp writes
  w.SetUint32("general.alignment", 32);
  w.SetUint32(a + ".context_length", static_cast<uint32_t>(c.seq_len));
  w.SetUint32(a + ".embedding_length", static_cast<uint32_t>(c.dim));
  w.SetUint32(a + ".block_count", static_cast<uint32_t>(c.n_layers));
  w.SetUint32(a + ".feed_forward_length", static_cast<uint32_t>(c.hidden_dim));
  w.SetUint32(a + ".attention.head_count", static_cast<uint32_t>(c.n_heads));
  w.SetUint32(a + ".attention.head_count_kv", static_cast<uint32_t>(c.n_kv_heads));
  w.SetUint32(a + ".rope.dimension_count", static_cast<uint32_t>(c.head_dim()));
  w.SetFloat32(a + ".rope.freq_base", c.rope_theta);
  if (c.rope_linear_scale != 1.0f) {
    w.SetString(a + ".rope.scaling.type", "linear");
    w.SetFloat32(a + ".rope.scaling.factor", c.rope_linear_scale);
  }
  w.SetFloat32(a + ".attention.layer_norm_rms_epsilon", c.rms_eps);
  w.SetUint32(a + ".vocab_size", static_cast<uint32_t>(c.vocab_size));
}

// A SentencePiece vocabulary as GGUF stores it: spaces as U+2581, token types 2 unknown, 3
// control, 6 byte, 1 normal.
void SetSentencePieceVocab(GgufWriter& w, const std::vector<std::string>& pieces,
                           const std::vector<float>& scores, int bos, int eos) {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  for (size_t i = 0; i < pieces.size(); ++i) {
    std::string_view piece = pieces[i];
    // llama2.c's tokenizers wrap the control tokens' text in newlines ("\n<s>\n"); GGUF files
    // (and llama.cpp's converter) carry them bare.
    if (static_cast<int>(i) == bos || static_cast<int>(i) == eos) {
      while (!piece.empty() && piece.front() == '\n') piece.remove_prefix(1);
      while (!piece.empty() && piece.back() == '\n') piece.remove_suffix(1);
    }
    std::string t;
    for (char ch : piece) t += ch == ' ' ? std::string("\xE2\x96\x81") : std::string(1, ch);
    tokens.push_back(std::move(t));
    const std::string& p = pieces[i];
    int type = 1;
    if (i == 0) {
      type = 2;
    } else if (static_cast<int>(i) == bos || static_cast<int>(i) == eos) {
      type = 3;
    } else if (p.size() == 6 && p.compare(0, 3, "<0x") == 0 && p[5] == '>') {
      type = 6;
    }
    types.push_back(type);
  }
  w.SetString("tokenizer.ggml.model", "llama");
  w.SetStringArray("tokenizer.ggml.tokens", tokens);
  w.SetFloatArray("tokenizer.ggml.scores", scores);
  w.SetInt32Array("tokenizer.ggml.token_type", types);
  w.SetUint32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(bos));
  w.SetUint32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(eos));
  w.SetUint32("tokenizer.ggml.unknown_token_id", 0);
  w.SetBool("tokenizer.ggml.add_bos_token", true);
  w.SetBool("tokenizer.ggml.add_eos_token", false);
}

// Adds a Model tensor converted row by row to `type` (rows in parallel).
void AddConverted(GgufWriter& w, const std::string& name, const Tensor& src, GgmlType type,
                  ThreadPool& pool) {
  // A vector (norm weights, biases) is one-dimensional, as llama.cpp stores it.
  std::vector<int64_t> dims =
      src.rows == 1 ? std::vector<int64_t>{src.cols} : std::vector<int64_t>{src.cols, src.rows};
  w.AddTensor(name, type, std::move(dims), [src, type, &pool](uint8_t* dst) {
    const size_t out_row = RowBytes(type, src.cols);
    pool.ParallelFor(src.rows, [&](int64_t r0, int64_t r1) {
      std::vector<float> row(static_cast<size_t>(src.cols));
      for (int64_t r = r0; r < r1; ++r) {
        DequantizeRow(src.type, src.Row(r), row.data(), src.cols);
        QuantizeRow(type, row.data(), dst + static_cast<size_t>(r) * out_row, src.cols);
      }
    });
  });
}

Status WriteWithProgress(const GgufWriter& w, const std::string& output,
                         const WriteProgress& progress) {
  return w.Write(output, progress);
}

}  // namespace

Status ConvertLlama2cToGguf(const std::string& model_path, const std::string& tokenizer_path,
                            const std::string& output, const FileType& type,
                            const WriteProgress& progress) {
  auto model = LoadLlama2cModel(model_path);
  if (!model.ok()) return model.status();
  auto tok = SentencePieceTokenizer::LoadLlama2c(tokenizer_path, model->config.vocab_size);
  if (!tok.ok()) return tok.status();
  GgufWriter w;
  std::string name = model_path.substr(model_path.find_last_of('/') + 1);
  if (name.size() > 4 && name.ends_with(".bin")) name.resize(name.size() - 4);
  SetModelMetadata(w, model->config, name, type);
  w.SetString("general.source.llama2c", model_path);
  std::vector<std::string> pieces;
  std::vector<float> scores;
  for (int i = 0; i < tok->vocab_size(); ++i) {
    pieces.push_back(tok->piece(i));
    scores.push_back(tok->score(i));
  }
  SetSentencePieceVocab(w, pieces, scores, tok->bos(), tok->eos());
  ThreadPool pool(0);
  Model& m = *model;
  const bool tied = m.classifier.data == m.token_embedding.data;
  for (const GgufTensorSlot& slot : GgufTensorSlots(m)) {
    if (slot.name == "output.weight" && tied) continue;
    const Tensor& t = *slot.tensor;
    AddConverted(w, slot.name, t, TensorTypeFor(type, m.config, slot.name, t.rows, t.cols, tied),
                 pool);
  }
  return WriteWithProgress(w, output, progress);
}

Status QuantizeGguf(const std::string& input, const std::string& output, const FileType& type,
                    const WriteProgress& progress) {
  auto file = GgufFile::Open(input);
  if (!file.ok()) return file.status();
  auto model = LoadGgufModel(*file);
  if (!model.ok()) return model.status();
  GgufWriter w;
  for (const auto& [key, value] : file->metadata()) {
    if (key == "general.file_type") {
      w.SetUint32("general.file_type", type.id);
    } else {
      w.SetValue(std::string(key), value);
    }
  }
  bool tied = true;
  for (const GgufTensor& t : file->tensors()) tied &= t.name != "output.weight";
  ThreadPool pool(0);
  for (const GgufTensor& t : file->tensors()) {
    const GgmlType src_type = static_cast<GgmlType>(t.type);
    const Tensor view{src_type, t.data, t.rows(), t.cols()};
    if (t.dims.size() == 2) {
      const GgmlType to = TensorTypeFor(type, model->config, t.name, view.rows, view.cols, tied);
      AddConverted(w, std::string(t.name), view, to, pool);
    } else {  // vectors and other tensors are copied as they are
      w.AddTensor(std::string(t.name), src_type, t.dims,
                  [t](uint8_t* dst) { std::memcpy(dst, t.data, t.bytes); });
    }
  }
  return WriteWithProgress(w, output, progress);
}

Status WriteRandomModel(const ModelConfig& config, bool tied, const FileType& type, uint64_t seed,
                        const std::string& output, const std::string& name,
                        const WriteProgress& progress, const std::string& chat_template) {
  if (config.dim % config.n_heads != 0 || config.n_heads % config.n_kv_heads != 0 ||
      config.head_dim() % 2 != 0 || config.vocab_size < 512) {
    return Status::Error(fmt::format(
        "inconsistent shape: dim {} must be a multiple of heads {} (with an even head size), "
        "heads a multiple of kv-heads {}, and the vocabulary at least 512 tokens",
        config.dim, config.n_heads, config.n_kv_heads));
  }
  GgufWriter w;
  SetModelMetadata(w, config, name, type);
  w.SetString("general.source", fmt::format("random weights (aegaeon model dummy, seed {})", seed));
  // Synthetic vocabulary: specials, byte fallback, ASCII, then letter sequences with a leading
  // space, shortest first, so every piece can be formed by merging a shorter one and a letter.
  std::vector<std::string> pieces = {"<unk>", "<s>", "</s>"};
  for (int b = 0; b < 256; ++b) pieces.push_back(fmt::format("<0x{:02X}>", b));
  for (char ch = 32; ch < 127; ++ch) pieces.emplace_back(1, ch);
  std::vector<std::string> level{" "};
  const auto vocab = static_cast<size_t>(config.vocab_size);
  while (pieces.size() < vocab) {
    std::vector<std::string> next;
    for (const auto& prefix : level) {
      for (char ch = 'a'; ch <= 'z' && pieces.size() < vocab; ++ch) {
        pieces.push_back(prefix + ch);
        next.push_back(pieces.back());
      }
    }
    level = std::move(next);
  }
  pieces.resize(vocab);
  std::vector<float> scores(vocab);
  for (size_t i = 0; i < vocab; ++i) scores[i] = -static_cast<float>(i);
  SetSentencePieceVocab(w, pieces, scores, 1, 2);
  if (!chat_template.empty()) w.SetString("tokenizer.chat_template", chat_template);

  Model m;
  m.config = config;
  m.layers.resize(static_cast<size_t>(config.n_layers));
  ThreadPool pool(0);
  if (!config.rope_freq_factors.empty()) {
    w.AddTensor("rope_freqs.weight", GgmlType::kF32,
                {static_cast<int64_t>(config.rope_freq_factors.size())},
                [factors = config.rope_freq_factors](uint8_t* dst) {
                  std::memcpy(dst, factors.data(), factors.size() * sizeof(float));
                });
  }
  for (const GgufTensorSlot& slot : GgufTensorSlots(m)) {
    if (slot.name == "output.weight" && tied) continue;
    const GgmlType t = TensorTypeFor(type, config, slot.name, slot.rows, slot.cols, tied);
    const bool norm = slot.name.ends_with("norm.weight");
    const bool bias = slot.name.ends_with(".bias");
    const uint64_t stream = Rng::HashString(slot.name);
    const int64_t rows = slot.rows, cols = slot.cols;
    std::vector<int64_t> dims = rows == 1 ? std::vector<int64_t>{cols}  // a vector: 1-D
                                          : std::vector<int64_t>{cols, rows};
    w.AddTensor(slot.name, t, std::move(dims), [=, &pool](uint8_t* dst) {
      const size_t row_bytes = RowBytes(t, cols);
      pool.ParallelFor(rows, [&](int64_t r0, int64_t r1) {
        std::vector<float> row(static_cast<size_t>(cols));
        // Uniform on [-a, a] has standard deviation a / sqrt(3): 0.02 for weights, less for biases.
        const double a = bias ? 0.002 * 1.7320508 : 0.02 * 1.7320508;
        for (int64_t r = r0; r < r1; ++r) {
          Rng rng = Rng::ForStream(seed, stream ^ static_cast<uint64_t>(r));
          for (auto& v : row) {
            v = norm ? 1.0f : static_cast<float>((2.0 * rng.NextOpenUnit() - 1.0) * a);
          }
          QuantizeRow(t, row.data(), dst + static_cast<size_t>(r) * row_bytes, cols);
        }
      });
    });
  }
  return WriteWithProgress(w, output, progress);
}

}  // namespace llms::engine
