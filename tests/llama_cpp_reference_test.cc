// The engine against llama.cpp itself (its own library, driven by tests/llama_cpp/llama_ref.cc):
// the same GGUF files give the same logits and greedy tokens in both, for F32, F16, Q8_0, Q4_0,
// Q4_1, Q5_0, Q5_1 and every K-quant file type, on the trained stories260K and on generated models
// of each architecture; files written by llama.cpp's quantizer load here with the same tensor types
// and bytes ours writes, and ours load in llama.cpp; both tokenize the same strings alike. Skips
// where the npm package (tests/llama_cpp, scripts/setup.sh installs it) or ../shared is absent.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "core/rng.h"
#include "engine/file_type.h"
#include "engine/gguf.h"
#include "engine/gguf_writer.h"
#include "engine/kv_cache.h"
#include "engine/model_loader.h"
#include "engine/model_presets.h"
#include "engine/model_writer.h"
#include "engine/test_models.h"
#include "engine/transformer.h"

namespace llms {
namespace {

using engine::GgmlType;
using testing::RunCommand;

#define REQUIRE_LLAMA_CPP()                                                          \
  do {                                                                               \
    if (!std::string_view(LLAMA_REF_ABSENT).empty())                                 \
      GTEST_SKIP() << "llama.cpp's library is not built here: " << LLAMA_REF_ABSENT; \
    if (!std::filesystem::exists(LLAMA_REF_BIN))                                     \
      GTEST_SKIP() << LLAMA_REF_BIN << " is missing: build the llama_ref target";    \
  } while (0)

std::string Scratch() {
  static const std::string dir = [] {
    const std::string d = ::testing::TempDir() + "/llama_cpp_ref_" + std::to_string(::getpid());
    std::filesystem::create_directories(d);
    testing::RemoveAtExit(d);
    return d;
  }();
  return dir;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}
template <typename T>
std::vector<T> Numbers(const std::string& line) {
  std::vector<T> out;
  std::istringstream in(line);
  for (T v; in >> v;) out.push_back(v);
  return out;
}

struct Run {
  std::vector<float> logits;   // after the prompt
  std::vector<int> tokens;     // greedy continuation
  std::vector<float> margins;  // ours: each greedy step's best logit minus the second best
};

Run Theirs(const std::string& model, const std::vector<int>& prompt, int steps) {
  std::ostringstream cmd;
  cmd << LLAMA_REF_BIN << " eval " << model << " " << steps;
  for (int id : prompt) cmd << " " << id;
  const auto r = RunCommand(cmd.str());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto lines = Lines(r.out);
  if (lines.size() < 2) return {};
  return {Numbers<float>(lines[0]), Numbers<int>(lines[1]), {}};
}

Run Ours(const std::string& path, const std::vector<int>& prompt, int steps) {
  auto m = engine::LoadModelFiles(path);
  EXPECT_TRUE(m.ok()) << m.message();
  if (!m.ok()) return {};
  engine::KvCache cache(m->model.config, 8);
  engine::BlockTable seq;
  EXPECT_TRUE(cache.Reserve(seq, static_cast<int>(prompt.size()) + steps));
  engine::Transformer tf(m->model, cache);
  std::vector<engine::BatchRow> rows;
  for (size_t i = 0; i < prompt.size(); ++i)
    rows.push_back({&seq, prompt[i], static_cast<int>(i), i + 1 == prompt.size()});
  Run out;
  out.logits = tf.Forward(rows);
  std::vector<float> logits = out.logits;
  for (int s = 0; s < steps; ++s) {
    int best = 0;
    for (size_t i = 1; i < logits.size(); ++i)
      if (logits[i] > logits[static_cast<size_t>(best)]) best = static_cast<int>(i);
    float second = -INFINITY;
    for (size_t i = 0; i < logits.size(); ++i)
      if (static_cast<int>(i) != best) second = std::max(second, logits[i]);
    out.tokens.push_back(best);
    out.margins.push_back(logits[static_cast<size_t>(best)] - second);
    engine::BatchRow row{&seq, best, static_cast<int>(prompt.size()) + s, true};
    logits = tf.Forward(std::span<const engine::BatchRow>(&row, 1));
  }
  return out;
}

struct Agreement {
  double cosine = 0, max_abs = 0, scale = 0;  // scale: the reference logits' max |value|
  int same_prefix = 0;                        // greedy tokens equal before the first difference
};

Agreement Compare(const Run& ours, const Run& theirs) {
  Agreement a;
  EXPECT_EQ(ours.logits.size(), theirs.logits.size());
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < std::min(ours.logits.size(), theirs.logits.size()); ++i) {
    dot += double{ours.logits[i]} * theirs.logits[i];
    na += double{ours.logits[i]} * ours.logits[i];
    nb += double{theirs.logits[i]} * theirs.logits[i];
    a.max_abs = std::max(a.max_abs, std::fabs(double{ours.logits[i]} - theirs.logits[i]));
    a.scale = std::max(a.scale, std::fabs(double{theirs.logits[i]}));
  }
  a.cosine = dot / std::sqrt(na * nb);
  while (a.same_prefix < static_cast<int>(std::min(ours.tokens.size(), theirs.tokens.size())) &&
         ours.tokens[static_cast<size_t>(a.same_prefix)] ==
             theirs.tokens[static_cast<size_t>(a.same_prefix)]) {
    ++a.same_prefix;
  }
  return a;
}

// The types of every tensor of a GGUF file, by name.
std::map<std::string, std::string> TensorTypes(const std::string& path) {
  auto f = engine::GgufFile::Open(path);
  EXPECT_TRUE(f.ok()) << f.message();
  std::map<std::string, std::string> out;
  if (!f.ok()) return out;
  for (const auto& t : f->tensors())
    out[std::string(t.name)] = std::string(engine::GgmlTypeName(t.type));
  return out;
}

// Tensors whose bytes differ between two files (by name; both must have the same tensors).
std::vector<std::string> DifferentBytes(const std::string& a, const std::string& b) {
  auto fa = engine::GgufFile::Open(a);
  auto fb = engine::GgufFile::Open(b);
  std::vector<std::string> out;
  if (!fa.ok() || !fb.ok()) return {"(unreadable)"};
  for (const auto& t : fa->tensors()) {
    const engine::GgufTensor* u = fb->FindTensor(t.name);
    if (!u || u->bytes != t.bytes || std::memcmp(u->data, t.data, t.bytes) != 0)
      out.emplace_back(t.name);
  }
  return out;
}

std::string Quantized(const std::string& f32, const std::string& ftype, bool by_llama_cpp) {
  const auto ft = engine::FileTypeFromName(ftype);
  const std::string out = f32 + (by_llama_cpp ? ".llama." : ".ours.") + ftype + ".gguf";
  if (std::filesystem::exists(out)) return out;
  if (by_llama_cpp) {
    const auto r = RunCommand(std::string(LLAMA_REF_BIN) + " quantize " + f32 + " " + out + " " +
                              std::to_string(ft->id));
    EXPECT_EQ(r.exit_code, 0) << r.err;
  } else {
    EXPECT_TRUE(engine::QuantizeGguf(f32, out, *ft).ok());
  }
  return out;
}

const char* const kFileTypes[] = {"f32",    "f16",    "q8_0",   "q4_0",   "q4_1",   "q5_0",
                                  "q5_1",   "q2_k",   "q3_k_s", "q3_k_m", "q3_k_l", "q4_k_s",
                                  "q4_k_m", "q5_k_s", "q5_k_m", "q6_k"};

// A model file in F32 and the prompt to run it on.
struct Subject {
  std::string name, f32;
  std::vector<int> prompt;
};

Subject Stories() {
  const std::string f32 = Scratch() + "/stories260K.f32.gguf";
  if (!std::filesystem::exists(f32)) {
    EXPECT_TRUE(engine::ConvertLlama2cToGguf(engine::testing::StoriesDir() + "/stories260K.bin",
                                             engine::testing::StoriesDir() + "/tok512.bin", f32,
                                             GgmlType::kF32)
                    .ok());
  }
  // "Once upon a time, there was a little girl" with BOS, as tok512 splits it.
  auto m = engine::LoadModelFiles(f32);
  if (!m.ok()) {
    ADD_FAILURE() << m.message();
    return {"stories260K", f32, {1}};
  }
  return {"stories260K", f32,
          m->tokenizer->Encode("Once upon a time, there was a little girl", true)};
}

// A generated model of `arch` whose widths are multiples of 256 (every K-quant applies).
Subject Generated(const std::string& arch, bool tied) {
  engine::ModelConfig c = engine::FindModelPreset("llama-tiny")->config;
  c.architecture = arch;
  c.rope_neox = arch == "qwen2";
  // llama-tiny shares each KV head between 2 query heads; the qwen2 model between 4, where
  // llama.cpp's q2_k mix gives attn_v Q4_K instead of Q3_K.
  if (arch == "qwen2") c.n_kv_heads = 2;
  c.n_layers = 3;
  c.vocab_size = 2048;
  const std::string f32 = Scratch() + "/" + arch + (tied ? "-tied" : "") + ".f32.gguf";
  if (!std::filesystem::exists(f32)) {
    EXPECT_TRUE(engine::WriteRandomModel(c, tied, GgmlType::kF32, 17, f32, arch).ok());
  }
  return {arch, f32, {1, 300, 301, 1200, 77, 1999, 5, 512}};
}

constexpr int kSteps = 24;

// Our engine and llama.cpp on the same file of each file type (quantized by us): the logits after
// the prompt nearly equal and the greedy continuations alike: where they part, the two best
// tokens were a near tie (their logits closer than twice the first step's largest difference, or
// than 1e-3 of the logits' scale).
void ExpectSameOutputs(const Subject& s) {
  for (const char* ftype : kFileTypes) {
    SCOPED_TRACE(s.name + " " + ftype);
    const std::string file =
        std::string(ftype) == "f32" ? s.f32 : Quantized(s.f32, ftype, /*by_llama_cpp=*/false);
    const Run ours = Ours(file, s.prompt, kSteps);
    const Run theirs = Theirs(file, s.prompt, kSteps);
    const Agreement a = Compare(ours, theirs);
    std::printf("%-12s %-7s cosine %.7f  max |diff| %.2e of %.2e  greedy prefix %d/%d\n",
                s.name.c_str(), ftype, a.cosine, a.max_abs, a.scale, a.same_prefix, kSteps);
    if (std::string(ftype) == "f32") {
      EXPECT_LT(a.max_abs, 1e-4 * (1 + a.scale));
      EXPECT_EQ(a.same_prefix, kSteps);
    } else {
      // The weights are the same; the engines sum in other orders, and llama.cpp rounds
      // activations to F16 for F16 weights, keeps Q4_1/Q5_1's activation sums in F16 and repacks
      // some K-quant shapes.
      EXPECT_GT(a.cosine, 0.9995);
      if (a.same_prefix < kSteps && static_cast<size_t>(a.same_prefix) < ours.margins.size()) {
        // (or, where the first step agrees to float rounding, within 1e-3 of the logits' scale:
        // random-weight models have near ties that later steps' small differences tip)
        EXPECT_LT(ours.margins[static_cast<size_t>(a.same_prefix)],
                  std::max(2 * a.max_abs, 1e-3 * a.scale))
            << "the engines' greedy tokens part at step " << a.same_prefix << " without a near tie";
      }
    }
  }
}

TEST(LlamaCppReferenceTest, Stories260KGivesTheSameLogitsAndTokensInEveryFileType) {
  REQUIRE_LLAMA_CPP();
  LLMS_REQUIRE_STORIES();
  ExpectSameOutputs(Stories());
}

TEST(LlamaCppReferenceTest, GeneratedModelsOfEachArchitectureGiveTheSameLogits) {
  REQUIRE_LLAMA_CPP();
  ExpectSameOutputs(Generated("llama", /*tied=*/true));
  ExpectSameOutputs(Generated("qwen2", /*tied=*/false));
}

// llama.cpp's quantizer and ours make the same choices per tensor (the _S/_M/_L mixes and the
// fallbacks) and, running ggml's reference quantizers, the same bytes; each engine loads the
// other's files (the logits checks above load ours in llama.cpp).
void ExpectSameQuantizedFiles(const Subject& s) {
  for (const char* ftype : kFileTypes) {
    if (std::string(ftype) == "f32") continue;
    SCOPED_TRACE(s.name + " " + ftype);
    const std::string ours = Quantized(s.f32, ftype, false);
    const std::string theirs = Quantized(s.f32, ftype, true);
    EXPECT_EQ(TensorTypes(ours), TensorTypes(theirs));
    const auto differ = DifferentBytes(ours, theirs);
    if (!differ.empty()) {
      ADD_FAILURE() << differ.size() << " tensors differ, the first " << differ[0];
    }
    const Run a = Ours(theirs, s.prompt, 4), b = Ours(ours, s.prompt, 4);
    EXPECT_EQ(a.logits, b.logits);
  }
}

TEST(LlamaCppReferenceTest, QuantizersChooseTheSameTypesAndWriteTheSameBytes) {
  REQUIRE_LLAMA_CPP();
  ExpectSameQuantizedFiles(Generated("llama", true));
  ExpectSameQuantizedFiles(Generated("qwen2", false));
  if (engine::testing::HaveStories()) ExpectSameQuantizedFiles(Stories());
}

// ---- Tokenizers ---------------------------------------------------------------------------------

// A few thousand strings that exercise the pre-tokenizers: words with and without leading spaces,
// contractions in both cases, digit runs of every length, punctuation and symbol runs, runs of
// spaces, tabs and newlines, non-ASCII letters, digits, punctuation and emoji.
std::vector<std::string> TokenizerStrings() {
  static const char* const kPieces[] = {"the",
                                        " the",
                                        "The",
                                        " quick",
                                        "brown",
                                        "fox's",
                                        " it's",
                                        " IT'S",
                                        "we've",
                                        " they'll",
                                        "I'd",
                                        "'re",
                                        " 'm",
                                        "0",
                                        "12",
                                        "123",
                                        "1234",
                                        " 98765",
                                        "1234567890",
                                        "3.14",
                                        "$5",
                                        "a+b",
                                        "x<=y",
                                        "^_^",
                                        "~/",
                                        "|",
                                        "`code`",
                                        "!!",
                                        "?!",
                                        "...",
                                        ",",
                                        ";",
                                        ":)",
                                        "(",
                                        ")]}",
                                        "\"",
                                        "'",
                                        "-",
                                        "--",
                                        " ",
                                        "  ",
                                        "   ",
                                        "\t",
                                        "\n",
                                        "\n\n",
                                        " \n ",
                                        "\r\n",
                                        "caf\xC3\xA9",
                                        " na\xC3\xAFve",
                                        "\xC3\x9C"
                                        "ber",
                                        "\xE4\xB8\xAD\xE6\x96\x87",
                                        "\xD9\xA3\xD9\xA4",
                                        "\xE2\x80\x94",
                                        "\xE2\x80\x9Cq\xE2\x80\x9D",
                                        "\xF0\x9F\x98\x80",
                                        " \xF0\x9F\x91\x8D",
                                        "\xC2\xBD",
                                        "\xE2\x82\xAC"
                                        "10",
                                        "<s>",
                                        "</s>",
                                        "hello",
                                        " world",
                                        "Once",
                                        " upon",
                                        " a",
                                        " time"};
  Rng rng(2026);
  std::vector<std::string> out;
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    const int parts = 1 + static_cast<int>(rng.NextBelow(8));
    for (int k = 0; k < parts; ++k) s += kPieces[rng.NextBelow(std::size(kPieces))];
    out.push_back(s);
  }
  return out;
}

std::vector<std::vector<int>> TheirTokens(const std::string& model,
                                          const std::vector<std::string>& texts) {
  const std::string file = Scratch() + "/strings.hex";
  {
    std::ofstream f(file);
    for (const std::string& t : texts) {
      for (unsigned char c : t) f << "0123456789abcdef"[c >> 4] << "0123456789abcdef"[c & 15];
      f << "\n";
    }
  }
  const auto r = RunCommand(std::string(LLAMA_REF_BIN) + " tokenize " + model + " " + file);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::vector<int>> out;
  for (const std::string& line : Lines(r.out)) out.push_back(Numbers<int>(line));
  return out;
}

// How many of `texts` the two tokenizers split alike; prints the first few differences.
int SameTokenizations(const std::string& model, const std::vector<std::string>& texts) {
  auto ours = engine::LoadModelFiles(model);
  EXPECT_TRUE(ours.ok()) << ours.message();
  if (!ours.ok()) return 0;
  const auto theirs = TheirTokens(model, texts);
  EXPECT_EQ(theirs.size(), texts.size());
  int same = 0, shown = 0;
  for (size_t i = 0; i < std::min(texts.size(), theirs.size()); ++i) {
    const std::vector<int> got = ours->tokenizer->Encode(texts[i], false);
    if (got == theirs[i]) {
      ++same;
    } else if (shown++ < 5) {
      ADD_FAILURE() << model << ": \"" << texts[i] << "\" gives " << ::testing::PrintToString(got)
                    << " here, " << ::testing::PrintToString(theirs[i]) << " in llama.cpp";
    }
  }
  std::printf("%-60s %d/%zu strings tokenized alike\n", model.c_str(), same, texts.size());
  return same;
}

// The generated llama model's weights with OpenAI's GPT-2 vocabulary (../shared/tokenizers/gpt2)
// and `pre` as tokenizer.ggml.pre (empty: the key left out).
std::string Gpt2VocabModel(const std::string& pre) {
  const std::string out = Scratch() + "/gpt2-vocab-" + (pre.empty() ? "absent" : pre) + ".gguf";
  if (std::filesystem::exists(out)) return out;
  const std::string dir = testing::SharedDir() + "/tokenizers/gpt2";
  const auto encoder = nlohmann::json::parse(testing::ReadFile(dir + "/encoder.json"));
  std::vector<std::string> tokens(encoder.size());
  for (const auto& [text, id] : encoder.items()) tokens[id.get<size_t>()] = text;
  std::vector<std::string> merges;
  for (const std::string& line : Lines(testing::ReadFile(dir + "/vocab.bpe"))) {
    if (!line.empty() && !line.starts_with("#version")) merges.push_back(line);
  }
  engine::ModelConfig c = engine::FindModelPreset("llama-tiny")->config;
  c.n_layers = 1;
  c.dim = 64;
  c.hidden_dim = 128;
  c.n_heads = 2;
  c.n_kv_heads = 1;
  c.vocab_size = static_cast<int>(tokens.size());
  const std::string base = Scratch() + "/gpt2-shape.gguf";
  if (!std::filesystem::exists(base)) {
    EXPECT_TRUE(engine::WriteRandomModel(c, true, GgmlType::kF32, 3, base, "gpt2-vocab").ok());
  }
  auto f = engine::GgufFile::Open(base);
  EXPECT_TRUE(f.ok()) << f.message();
  engine::GgufWriter w;
  for (const auto& [key, value] : f->metadata()) {
    if (!key.starts_with("tokenizer.")) w.SetValue(std::string(key), value);
  }
  std::vector<int32_t> types(tokens.size(), 1);
  types.back() = 3;  // <|endoftext|>, id 50256: control
  w.SetString("tokenizer.ggml.model", "gpt2");
  if (!pre.empty()) w.SetString("tokenizer.ggml.pre", pre);
  w.SetStringArray("tokenizer.ggml.tokens", tokens);
  w.SetStringArray("tokenizer.ggml.merges", merges);
  w.SetInt32Array("tokenizer.ggml.token_type", types);
  w.SetUint32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(tokens.size() - 1));
  w.SetUint32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(tokens.size() - 1));
  for (const engine::GgufTensor& t : f->tensors()) {
    w.AddTensor(std::string(t.name), static_cast<GgmlType>(t.type), t.dims,
                [t](uint8_t* dst) { std::memcpy(dst, t.data, t.bytes); });
  }
  EXPECT_TRUE(w.Write(out).ok());
  return out;
}

TEST(LlamaCppReferenceTest, TokenizersSplitEveryStringAsLlamaCppDoes) {
  REQUIRE_LLAMA_CPP();
  const auto texts = TokenizerStrings();
  // SentencePiece: the generated models' synthetic vocabulary and stories260K's tok512.
  EXPECT_EQ(SameTokenizations(Generated("llama", true).f32, texts), static_cast<int>(texts.size()));
  if (engine::testing::HaveStories()) {
    EXPECT_EQ(SameTokenizations(Stories().f32, texts), static_cast<int>(texts.size()));
  }
  // Byte-level BPE with OpenAI's GPT-2 vocabulary under each pre-tokenizer we accept.
  LLMS_REQUIRE_SHARED();
  for (const std::string pre : {"gpt-2", "llama-bpe", "qwen2", "default", ""}) {
    SCOPED_TRACE("tokenizer.ggml.pre = \"" + pre + "\"");
    EXPECT_EQ(SameTokenizations(Gpt2VocabModel(pre), texts), static_cast<int>(texts.size()));
  }
}

}  // namespace
}  // namespace llms
