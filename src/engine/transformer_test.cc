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
