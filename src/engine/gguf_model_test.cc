// Tests of GGUF models end to end on the real stories260K model: conversion from llama2.c keeps
// the golden output and the tokenizer, F16/BF16/Q8_0/Q4_0 logits stay within the stated error of
// F32, and a model placed in a caller's arena (with its KV cache) computes the same logits.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "core/mapped_file.h"
#include "engine/generation.h"
#include "engine/gguf.h"
#include "engine/llama2c_loader.h"
#include "engine/model_loader.h"
#include "engine/model_writer.h"
#include "engine/sentencepiece_tokenizer.h"
#include "engine/test_models.h"
#include "engine/transformer.h"
#include "engine/weights_arena.h"

namespace llms::engine {
namespace {

std::string Converted(GgmlType type) {
  const std::string path = ::testing::TempDir() + "/stories-" +
                           std::string(GgmlTypeName(static_cast<uint32_t>(type))) + ".gguf";
  const Status s = ConvertLlama2cToGguf(testing::StoriesDir() + "/stories260K.bin",
                                        testing::StoriesDir() + "/tok512.bin", path, type);
  EXPECT_TRUE(s.ok()) << s.message();
  return path;
}

// Greedy generation of `max_tokens` after "Once upon a time".
GenerationResult Greedy(const LoadedModel& m, int max_tokens) {
  GenerationOptions opt;
  opt.sampling.temperature = 0;
  opt.max_tokens = max_tokens;
  auto r = GenerateText(m.model, *m.tokenizer, "Once upon a time", opt);
  EXPECT_TRUE(r.ok()) << r.message();
  return r.ok() ? std::move(r).value() : GenerationResult();
}

// Logits of the last position after a batched prefill of `prompt`.
std::vector<float> LastLogits(const Model& m, const std::vector<int>& prompt) {
  KvCache cache(m.config, 4);
  BlockTable seq;
  EXPECT_TRUE(cache.Reserve(seq, static_cast<int>(prompt.size())));
  Transformer tf(m, cache);
  std::vector<BatchRow> rows;
  for (size_t p = 0; p < prompt.size(); ++p)
    rows.push_back({&seq, prompt[p], static_cast<int>(p), p + 1 == prompt.size()});
  return tf.Forward(rows);
}

TEST(GgufModelTest, ConvertedStoriesGivesTheGoldenTextAndTheSameTokens) {
  LLMS_REQUIRE_STORIES();
  auto gguf = LoadModelFiles(Converted(GgmlType::kF32));
  ASSERT_TRUE(gguf.ok()) << gguf.message();
  auto bin = LoadModelFiles(testing::StoriesDir() + "/stories260K.bin",
                            testing::StoriesDir() + "/tok512.bin");
  ASSERT_TRUE(bin.ok()) << bin.message();
  EXPECT_EQ(gguf->format, "gguf");
  EXPECT_EQ(gguf->name, "stories260K");
  EXPECT_TRUE(gguf->tokenizer->add_bos());
  for (const char* text : {"Once upon a time", "Lily's mom said, \"no!\"\n", "héllo 🙂"}) {
    EXPECT_EQ(gguf->tokenizer->Encode(text, true), bin->tokenizer->Encode(text, true)) << text;
  }
  const GenerationResult a = Greedy(*gguf, 100), b = Greedy(*bin, 100);
  EXPECT_EQ(a.tokens, b.tokens);
  auto golden = ReadFileToString(testing::StoriesDir() + "/golden-once-upon-a-time-64.txt");
  ASSERT_TRUE(golden.ok());
  std::string expected = *golden;
  while (!expected.empty() && expected.back() == '\n') expected.pop_back();
  EXPECT_EQ(("Once upon a time" + a.text).substr(0, expected.size()), expected);
}

// The files are written as llama.cpp writes them: vectors one-dimensional, the quantization
// version set, the control tokens' text bare (tok512 wraps <s> and </s> in newlines).
TEST(GgufModelTest, WrittenFilesFollowLlamaCppConventions) {
  LLMS_REQUIRE_STORIES();
  auto f = GgufFile::Open(Converted(GgmlType::kQ8_0));
  ASSERT_TRUE(f.ok()) << f.message();
  int vectors = 0;
  for (const GgufTensor& t : f->tensors()) {
    if (std::string_view(t.name).ends_with("norm.weight")) {
      EXPECT_EQ(t.dims.size(), 1u) << t.name;
      ++vectors;
    } else {
      EXPECT_EQ(t.dims.size(), 2u) << t.name;
    }
  }
  EXPECT_GT(vectors, 0);
  auto version = f->GetInt("general.quantization_version");
  ASSERT_TRUE(version.ok() && version->has_value());
  EXPECT_EQ(**version, 2);
  auto tokens = f->GetStringArray("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ((*tokens)[1], "<s>");
  EXPECT_EQ((*tokens)[2], "</s>");
}

TEST(GgufModelTest, QuantizedLogitsStayWithinTheStatedErrorOfF32) {
  LLMS_REQUIRE_STORIES();
  auto ref_model = LoadModelFiles(Converted(GgmlType::kF32));
  ASSERT_TRUE(ref_model.ok());
  const auto prompt = ref_model->tokenizer->Encode("Once upon a time, there was a little", true);
  const auto ref = LastLogits(ref_model->model, prompt);
  double norm = 0;
  for (float v : ref) norm += v * v;
  // Relative RMS error of the logits (stories260K's 64-wide rows are the worst case: few blocks
  // per row). Measured: F16 ~3e-4, BF16 ~3e-3, Q8_0 ~5e-3, Q4_0 ~9e-2.
  struct {
    GgmlType type;
    double bound;
  } cases[] = {{GgmlType::kF16, 2e-3},
               {GgmlType::kBF16, 1e-2},
               {GgmlType::kQ8_0, 2e-2},
               {GgmlType::kQ4_0, 2e-1}};
  for (const auto& c : cases) {
    auto m = LoadModelFiles(Converted(c.type));
    ASSERT_TRUE(m.ok()) << m.message();
    EXPECT_EQ(m->model.layers[0].wq.type, c.type);
    const auto got = LastLogits(m->model, prompt);
    double err = 0;
    for (size_t i = 0; i < got.size(); ++i) err += (got[i] - ref[i]) * (got[i] - ref[i]);
    const double rel = std::sqrt(err / norm);
    EXPECT_LT(rel, c.bound) << GgmlTypeName(static_cast<uint32_t>(c.type));
    std::printf("%s relative logit error %.2e\n",
                std::string(GgmlTypeName(static_cast<uint32_t>(c.type))).c_str(), rel);
  }
}

TEST(GgufModelTest, QuantizeRewritesWeightsAndKeepsMetadata) {
  LLMS_REQUIRE_STORIES();
  const std::string out = ::testing::TempDir() + "/stories-requant.gguf";
  ASSERT_TRUE(QuantizeGguf(Converted(GgmlType::kF32), out, GgmlType::kQ8_0).ok());
  auto m = LoadModelFiles(out);
  ASSERT_TRUE(m.ok()) << m.message();
  EXPECT_EQ(m->model.layers[0].wq.type, GgmlType::kQ8_0);
  EXPECT_EQ(m->model.layers[0].w2.type, GgmlType::kF16);  // 172 columns: not whole Q8_0 blocks
  EXPECT_EQ(m->model.rms_final.type, GgmlType::kF32);
  EXPECT_EQ(m->tokenizer->Encode("Once upon a time", true).size(), 5u);
  // To Q4_0 as well: the same tensors quantized, and the model still tells its story (greedy
  // text from Q4_0 weights starts like the Q8_0 model's).
  const std::string q4 = ::testing::TempDir() + "/stories-requant-q4.gguf";
  ASSERT_TRUE(QuantizeGguf(Converted(GgmlType::kF32), q4, GgmlType::kQ4_0).ok());
  auto m4 = LoadModelFiles(q4);
  ASSERT_TRUE(m4.ok()) << m4.message();
  EXPECT_EQ(m4->model.layers[0].wq.type, GgmlType::kQ4_0);
  EXPECT_EQ(m4->model.layers[0].w2.type, GgmlType::kF16);
  const std::string text4 = Greedy(*m4, 8).text, text8 = Greedy(*m, 8).text;
  EXPECT_EQ(text4.substr(0, 12), text8.substr(0, 12)) << text4;
}

TEST(GgufModelTest, ModelAndKvCacheRunFromOneCallerArena) {
  LLMS_REQUIRE_STORIES();
  auto loaded = LoadModelFiles(Converted(GgmlType::kQ8_0));
  ASSERT_TRUE(loaded.ok());
  const Model& m = loaded->model;
  const size_t weights = WeightsArenaBytes(m);
  const size_t tensor_bytes = m.WeightBytes();
  EXPECT_GE(weights, tensor_bytes);
  EXPECT_LT(weights, tensor_bytes + 64 * m.AllTensors().size());
  const int blocks = 4;
  const size_t total = weights + KvCache::BytesFor(m.config, blocks);
  void* arena = std::aligned_alloc(kArenaAlignment, total);
  auto too_small = PlaceWeights(m, arena, weights - 1);
  EXPECT_NE(too_small.message().find("need"), std::string::npos);
  auto placed = PlaceWeights(m, arena, weights);
  ASSERT_TRUE(placed.ok()) << placed.message();
  EXPECT_EQ(placed->file, nullptr);
  for (Tensor* t : placed->AllTensors()) {
    const auto* p = static_cast<const uint8_t*>(t->data);
    ASSERT_TRUE(p >= static_cast<uint8_t*>(arena) &&
                p + t->bytes() <= static_cast<uint8_t*>(arena) + weights);
  }
  KvCache cache(m.config, blocks, reinterpret_cast<float*>(static_cast<uint8_t*>(arena) + weights));
  const auto prompt = loaded->tokenizer->Encode("The cat sat", true);
  BlockTable seq;
  ASSERT_TRUE(cache.Reserve(seq, static_cast<int>(prompt.size())));
  Transformer tf(*placed, cache);
  std::vector<BatchRow> rows;
  for (size_t p = 0; p < prompt.size(); ++p)
    rows.push_back({&seq, prompt[p], static_cast<int>(p), p + 1 == prompt.size()});
  EXPECT_EQ(tf.Forward(rows), LastLogits(m, prompt));
  std::free(arena);
}

}  // namespace
}  // namespace llms::engine
