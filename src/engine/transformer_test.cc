// Tests of the forward pass on the real stories260K model: llama2.c's golden greedy output, the
// batched prefill equal to token-by-token, a batched decode of 8 different prompts equal to each
// decoded alone (also after its KV blocks were moved out to host memory and back, with and without
// threads, and on quantized random-weight llama/qwen2 GGUF models), and the llama2.c loader's
// errors on corrupt files.
#include "engine/transformer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "core/mapped_file.h"
#include "engine/generation.h"
#include "engine/llama2c_loader.h"
#include "engine/model_loader.h"
#include "engine/model_writer.h"
#include "engine/sentencepiece_tokenizer.h"
#include "engine/test_models.h"

namespace llms::engine {
namespace {

struct Stories {
  Model model;
  SentencePieceTokenizer tokenizer;
};

const Stories& Load() {
  static const Stories s = [] {
    auto m = LoadLlama2cModel(testing::StoriesDir() + "/stories260K.bin");
    EXPECT_TRUE(m.ok()) << m.message();
    auto t = SentencePieceTokenizer::LoadLlama2c(testing::StoriesDir() + "/tok512.bin",
                                                 m->config.vocab_size);
    EXPECT_TRUE(t.ok()) << t.message();
    return Stories{std::move(m).value(), std::move(t).value()};
  }();
  return s;
}

TEST(TransformerTest, ReproducesLlama2cGoldenOutput) {
  LLMS_REQUIRE_STORIES();
  const auto& s = Load();
  EXPECT_EQ(s.model.config.dim, 64);
  EXPECT_EQ(s.model.config.n_kv_heads, 4);
  auto golden = ReadFileToString(testing::StoriesDir() + "/golden-once-upon-a-time-64.txt");
  ASSERT_TRUE(golden.ok());
  GenerationOptions opt;
  opt.sampling.temperature = 0;
  opt.max_tokens = 100;
  std::string streamed;
  auto r = GenerateText(s.model, s.tokenizer, "Once upon a time", opt,
                        [&](std::string_view t) { streamed += t; });
  ASSERT_TRUE(r.ok()) << r.message();
  std::string expected = *golden;
  while (!expected.empty() && expected.back() == '\n') expected.pop_back();
  EXPECT_EQ(streamed.substr(0, expected.size()), expected);
}

// GenerateText's stopping rules on the real model: max tokens ("length"), a stop string (cut
// before it, never streamed, "stop"), a stop string split across tokens, and EOS/BOS (llama2.c's
// document separator: "stop" before max tokens).
TEST(GenerationTest, StopsAtMaxTokensStopStringsAndEndOfText) {
  LLMS_REQUIRE_STORIES();
  const auto& s = Load();
  GenerationOptions opt;
  opt.sampling.temperature = 0;
  opt.echo_prompt = false;
  opt.max_tokens = 60;
  auto full = GenerateText(s.model, s.tokenizer, "Once upon a time", opt);
  ASSERT_TRUE(full.ok()) << full.message();
  EXPECT_EQ(full->finish_reason, "length");
  EXPECT_EQ(full->tokens.size(), 60u);
  const std::string& text = full->text;
  ASSERT_NE(text.find("Lily"), std::string::npos) << text;
  // A stop string: the text ends right before its first occurrence, and what was streamed is
  // exactly the text (the held-back prefix "Li" never leaks out).
  for (const std::string stop : {"Lily", "ily. She", "park"}) {
    SCOPED_TRACE(stop);
    const size_t at = text.find(stop);
    ASSERT_NE(at, std::string::npos);
    GenerationOptions o = opt;
    o.stop = {"never-appears", stop};
    std::string streamed;
    auto r = GenerateText(s.model, s.tokenizer, "Once upon a time", o,
                          [&](std::string_view t) { streamed += t; });
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->finish_reason, "stop");
    EXPECT_EQ(r->text, text.substr(0, at));
    EXPECT_EQ(streamed, r->text);
  }
  // Left to run, the story ends: the model emits the document separator well before 1,000
  // tokens, and generation stops there with "stop".
  GenerationOptions longer = opt;
  longer.max_tokens = 1000;
  auto ended = GenerateText(s.model, s.tokenizer, "Once upon a time", longer);
  ASSERT_TRUE(ended.ok()) << ended.message();
  EXPECT_EQ(ended->finish_reason, "stop");
  EXPECT_LT(ended->tokens.size(), 1000u);
  EXPECT_EQ(ended->text.substr(0, text.size()), text);
}

std::vector<int> DecodeAlone(const Model& m, const std::vector<int>& prompt, int steps,
                             ThreadPool* pool) {
  KvCache cache(m.config, 8);
  BlockTable seq;
  EXPECT_TRUE(cache.Reserve(seq, static_cast<int>(prompt.size()) + steps));
  Transformer tf(m, cache, pool);
  std::vector<int> out;
  int token = prompt[0];
  for (int pos = 0; pos < static_cast<int>(prompt.size()) + steps - 1; ++pos) {
    BatchRow row{&seq, token, pos, true};
    const auto& logits = tf.Forward(std::span<const BatchRow>(&row, 1));
    const int next = Argmax(logits);
    if (pos + 1 < static_cast<int>(prompt.size())) {
      token = prompt[static_cast<size_t>(pos) + 1];
    } else {
      out.push_back(next);
      token = next;
    }
  }
  return out;
}

TEST(TransformerTest, BatchedPrefillEqualsTokenByToken) {
  LLMS_REQUIRE_STORIES();
  const auto& s = Load();
  const auto prompt = s.tokenizer.Encode("The little dog ran to the park and", true);
  KvCache cache(s.model.config, 4);
  BlockTable a, b;
  ASSERT_TRUE(cache.Reserve(a, 20) && cache.Reserve(b, 20));
  Transformer tf(s.model, cache);
  std::vector<BatchRow> rows;
  for (size_t p = 0; p < prompt.size(); ++p)
    rows.push_back({&a, prompt[p], static_cast<int>(p), p + 1 == prompt.size()});
  const std::vector<float> batched = tf.Forward(rows);
  std::vector<float> sequential;
  for (size_t p = 0; p < prompt.size(); ++p) {
    BatchRow row{&b, prompt[p], static_cast<int>(p), true};
    sequential = tf.Forward(std::span<const BatchRow>(&row, 1));
  }
  ASSERT_EQ(batched.size(), sequential.size());
  for (size_t i = 0; i < batched.size(); ++i) ASSERT_EQ(batched[i], sequential[i]) << i;
  EXPECT_EQ(a.length, static_cast<int>(prompt.size()));
}

// Prefills 8 prompts one by one, then decodes them together; each must get exactly the tokens it
// gets decoded alone, also after its KV blocks were copied out, overwritten and copied back.
void ExpectBatchedDecodeEqualsAlone(const Model& model, const Tokenizer& tokenizer,
                                    ThreadPool* pool) {
  struct {
    const Model& model;
    const Tokenizer& tokenizer;
  } s{model, tokenizer};
  const char* texts[] = {
      "Once upon a time", "Tom had a red ball", "The sun",  "A cat and a dog were friends",
      "Lily liked to",    "One day, a bird",    "Mom said", "The big tree in the garden was"};
  const int steps = 24;
  std::vector<std::vector<int>> prompts, alone;
  for (const char* t : texts) {
    prompts.push_back(s.tokenizer.Encode(t, true));
    alone.push_back(DecodeAlone(s.model, prompts.back(), steps, pool));
  }
  KvCache cache(s.model.config, 64);
  Transformer tf(s.model, cache, pool);
  std::vector<BlockTable> seqs(8);
  std::vector<std::vector<int>> got(8);
  std::vector<int> next(8);
  for (size_t i = 0; i < 8; ++i) {  // prefill each, then decode all together
    ASSERT_TRUE(cache.Reserve(seqs[i], static_cast<int>(prompts[i].size()) + steps));
    std::vector<BatchRow> rows;
    for (size_t p = 0; p < prompts[i].size(); ++p) {
      rows.push_back({&seqs[i], prompts[i][p], static_cast<int>(p), p + 1 == prompts[i].size()});
    }
    next[i] = Argmax(tf.Forward(rows));
  }
  std::vector<float> host(KvCache::BlockBytes(s.model.config) / sizeof(float));
  for (int step = 0; step < steps - 1; ++step) {
    std::vector<BatchRow> rows;
    for (size_t i = 0; i < 8; ++i) {
      got[i].push_back(next[i]);
      rows.push_back({&seqs[i], next[i], seqs[i].length, true});
    }
    if (step == 10) {
      // Move every block of sequences 0 and 5 out to host memory, reuse the blocks, move them back.
      for (size_t i : {0u, 5u}) {
        std::vector<std::vector<float>> saved;
        for (int b : seqs[i].blocks) {
          saved.emplace_back(host.size());
          cache.CopyBlockOut(b, saved.back().data());
          std::vector<float> junk(host.size(), 123.0f);
          cache.CopyBlockIn(b, junk.data());
        }
        for (size_t k = 0; k < seqs[i].blocks.size(); ++k)
          cache.CopyBlockIn(seqs[i].blocks[k], saved[k].data());
      }
    }
    const std::vector<float>& logits = tf.Forward(rows);
    for (size_t i = 0; i < 8; ++i) {
      next[i] = Argmax(
          std::span<const float>(logits).subspan(i * static_cast<size_t>(s.model.config.vocab_size),
                                                 static_cast<size_t>(s.model.config.vocab_size)));
    }
  }
  for (size_t i = 0; i < 8; ++i) got[i].push_back(next[i]);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(got[i], alone[i]) << texts[i];
}

TEST(TransformerTest, BatchedDecodeOfEightPromptsEqualsEachAloneEvenAfterKvMoves) {
  LLMS_REQUIRE_STORIES();
  ExpectBatchedDecodeEqualsAlone(Load().model, Load().tokenizer, nullptr);
  ThreadPool pool(3);
  ExpectBatchedDecodeEqualsAlone(Load().model, Load().tokenizer, &pool);
}

// The same on random-weight GGUF models of both architectures and quantized types, so biases,
// NeoX RoPE, grouped-query heads and the integer kernels are covered with several threads.
TEST(TransformerTest, BatchedDecodeEqualsAloneOnQuantizedLlamaAndQwen2) {
  for (const char* arch : {"llama", "qwen2"}) {
    for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kF16}) {
      ModelConfig c = FindModelPreset("llama-tiny")->config;
      c.architecture = arch;
      c.n_layers = 2;
      const std::string path = ::testing::TempDir() + "/tiny-" + arch + ".gguf";
      ASSERT_TRUE(WriteRandomModel(c, true, type, 7, path, "tiny").ok());
      auto loaded = LoadModelFiles(path);
      ASSERT_TRUE(loaded.ok()) << loaded.message();
      EXPECT_EQ(loaded->model.config.rope_neox, std::string(arch) == "qwen2");
      EXPECT_EQ(loaded->model.layers[0].bq.data != nullptr, std::string(arch) == "qwen2");
      ThreadPool pool(2);
      SCOPED_TRACE(std::string(arch) + " " +
                   std::string(GgmlTypeName(static_cast<uint32_t>(type))));
      ExpectBatchedDecodeEqualsAlone(loaded->model, *loaded->tokenizer, &pool);
    }
  }
}

// A separate output matrix (`output.weight`, as Llama 2 7B and Mistral have) is loaded and used:
// the classifier is its own tensor, batched decode still equals decoding alone, and the logits
// differ from the tied model of the same seed, whose classifier is the embedding.
TEST(TransformerTest, SeparateOutputEmbeddingIsLoadedAndUsed) {
  ModelConfig c = FindModelPreset("llama-tiny")->config;
  c.n_layers = 2;
  std::vector<float> logits[2];
  for (const bool tied : {true, false}) {
    const std::string path = ::testing::TempDir() + (tied ? "/tied.gguf" : "/untied.gguf");
    ASSERT_TRUE(WriteRandomModel(c, tied, GgmlType::kF16, 11, path, "tiny").ok());
    auto loaded = LoadModelFiles(path);
    ASSERT_TRUE(loaded.ok()) << loaded.message();
    const Model& m = loaded->model;
    EXPECT_EQ(m.classifier.data == m.token_embedding.data, tied);
    ThreadPool pool(2);
    if (!tied) ExpectBatchedDecodeEqualsAlone(m, *loaded->tokenizer, &pool);
    KvCache cache(m.config, 4);
    BlockTable seq;
    ASSERT_TRUE(cache.Reserve(seq, 1));
    Transformer tf(m, cache, &pool);
    BatchRow row{&seq, 1, 0, true};
    const auto& out = tf.Forward(std::span<const BatchRow>(&row, 1));
    logits[tied ? 0 : 1].assign(out.begin(), out.end());
  }
  ASSERT_EQ(logits[0].size(), logits[1].size());
  EXPECT_NE(logits[0], logits[1]);
}

// RoPE scaling read from GGUF: Llama 3.1's per-pair frequency factors (`rope_freqs.weight`) and
// linear position scaling. Dividing every frequency by 2 and dividing every position by 2 rotate
// alike, so the two models of one seed give the same logits; factors of 1 change nothing, and
// either scaling changes the unscaled model's logits.
TEST(TransformerTest, RopeFrequencyFactorsAndLinearScalingAreApplied) {
  ModelConfig base = FindModelPreset("llama-tiny")->config;
  base.n_layers = 2;
  const size_t half = static_cast<size_t>(base.head_dim() / 2);
  auto logits_of = [&](const ModelConfig& c, const std::string& file) {
    const std::string path = ::testing::TempDir() + "/" + file;
    EXPECT_TRUE(WriteRandomModel(c, true, GgmlType::kF32, 5, path, "tiny").ok());
    auto loaded = LoadModelFiles(path);
    EXPECT_TRUE(loaded.ok()) << loaded.message();
    const Model& m = loaded->model;
    EXPECT_EQ(m.config.rope_freq_factors, c.rope_freq_factors);
    EXPECT_EQ(m.config.rope_linear_scale, c.rope_linear_scale);
    ThreadPool pool(1);
    KvCache cache(m.config, 4);
    BlockTable seq;
    EXPECT_TRUE(cache.Reserve(seq, 8));
    Transformer tf(m, cache, &pool);
    std::vector<float> out;
    const int tokens[] = {1, 300, 301, 302, 303, 304};
    for (int pos = 0; pos < 6; ++pos) {
      BatchRow row{&seq, tokens[pos], pos, true};
      const auto& l = tf.Forward(std::span<const BatchRow>(&row, 1));
      out.assign(l.begin(), l.end());
    }
    return out;
  };
  const std::vector<float> plain = logits_of(base, "rope-plain.gguf");
  ModelConfig ones = base;
  ones.rope_freq_factors.assign(half, 1.0f);
  EXPECT_EQ(logits_of(ones, "rope-ones.gguf"), plain);
  ModelConfig factors = base;
  factors.rope_freq_factors.assign(half, 2.0f);
  const std::vector<float> by_factors = logits_of(factors, "rope-factors.gguf");
  ModelConfig linear = base;
  linear.rope_linear_scale = 2.0f;
  const std::vector<float> by_linear = logits_of(linear, "rope-linear.gguf");
  EXPECT_NE(by_factors, plain);
  ASSERT_EQ(by_factors.size(), by_linear.size());
  for (size_t i = 0; i < by_factors.size(); ++i) {
    ASSERT_NEAR(by_factors[i], by_linear[i], 1e-4f) << i;
  }
}

TEST(Llama2cLoaderTest, CorruptFilesGiveClearErrors) {
  LLMS_REQUIRE_STORIES();
  auto bytes = ReadFileToString(testing::StoriesDir() + "/stories260K.bin");
  ASSERT_TRUE(bytes.ok());
  auto write = [](const std::string& name, const std::string& data) {
    const std::string p = ::testing::TempDir() + "/" + name;
    std::ofstream(p, std::ios::binary) << data;
    return p;
  };
  struct Case {
    std::string data;
    const char* error;
  };
  std::string bad_header = *bytes;
  bad_header[0] = 7;  // dim 7: not divisible by 8 heads
  std::string extra = *bytes + "xxxx";
  const Case cases[] = {
      {bytes->substr(0, 10), "too short for a llama2.c header"},
      {bytes->substr(0, 1000), "truncated: the header describes 1056540 bytes"},
      {bad_header, "not a llama2.c model: header dim=7"},
      {extra, "4 unexpected bytes after the weights"},
  };
  int i = 0;
  for (const auto& c : cases) {
    auto r = LoadLlama2cModel(write("bad" + std::to_string(i++) + ".bin", c.data));
    ASSERT_FALSE(r.ok()) << c.error;
    EXPECT_NE(r.message().find(c.error), std::string::npos) << r.message();
  }
  EXPECT_NE(LoadLlama2cModel("/nonexistent.bin").message().find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace llms::engine
