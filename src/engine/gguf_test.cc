// Tests for the GGUF reader and writer: a round trip of every metadata type and of tensors, a
// table of corrupt and unsupported files with the error each gives, and an embedded GPT-2
// tokenizer read back from GGUF metadata.
#include "engine/gguf.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "core/mapped_file.h"
#include "engine/gguf_loader.h"
#include "engine/gguf_writer.h"
#include "engine/gpt2_tokenizer.h"

namespace llms::engine {
namespace {

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/" + name;
}

std::string WriteSample(const std::string& arch = "llama") {
  GgufWriter w;
  w.SetString("general.architecture", arch);
  w.SetUint32("u32", 7);
  w.SetInt32("i32", -5);
  w.SetFloat32("f32", 0.25f);
  w.SetBool("flag", true);
  w.SetStringArray("names", {"a", "", "ccc"});
  w.SetFloatArray("scores", {1.5f, -2.0f});
  w.SetInt32Array("ids", {3, -4, 5});
  w.AddTensor("vec", GgmlType::kF32, {5}, [](uint8_t* d) {
    const float v[5] = {1, 2, 3, 4, 5};
    std::memcpy(d, v, sizeof v);
  });
  w.AddTensor("mat", GgmlType::kQ8_0, {64, 3}, [](uint8_t* d) {
    std::vector<float> v(64 * 3);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) / 100;
    for (int r = 0; r < 3; ++r) QuantizeRow(GgmlType::kQ8_0, v.data() + r * 64, d + r * 68, 64);
  });
  const std::string path = TempPath("sample-" + arch + ".gguf");
  EXPECT_TRUE(w.Write(path).ok());
  return path;
}

TEST(GgufTest, RoundTripsMetadataAndTensors) {
  auto f = GgufFile::Open(WriteSample());
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_EQ(*f->GetString("general.architecture").value(), "llama");
  EXPECT_EQ(*f->GetInt("u32").value(), 7);
  EXPECT_EQ(*f->GetInt("i32").value(), -5);
  EXPECT_EQ(*f->GetFloat("f32").value(), 0.25);
  EXPECT_EQ(*f->GetBool("flag").value(), true);
  EXPECT_EQ(f->GetStringArray("names").value(), (std::vector<std::string_view>{"a", "", "ccc"}));
  EXPECT_EQ(f->GetFloatArray("scores").value(), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(f->GetIntArray("ids").value(), (std::vector<int64_t>{3, -4, 5}));
  EXPECT_FALSE(f->GetString("absent").value().has_value());
  EXPECT_NE(f->GetString("u32").message().find("metadata 'u32' is uint32, expected a string"),
            std::string::npos);
  ASSERT_EQ(f->tensors().size(), 2u);
  const GgufTensor* vec = f->FindTensor("vec");
  ASSERT_NE(vec, nullptr);
  EXPECT_EQ(reinterpret_cast<const float*>(vec->data)[4], 5.0f);
  const GgufTensor* mat = f->FindTensor("mat");
  EXPECT_EQ(mat->rows(), 3);
  EXPECT_EQ(mat->cols(), 64);
  EXPECT_EQ(mat->bytes, 3u * 68);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(mat->data) % 32,
            reinterpret_cast<uintptr_t>(vec->data) % 32);
  float row[64];
  DequantizeRow(GgmlType::kQ8_0, mat->data + 68, row, 64);
  EXPECT_NEAR(row[10], 0.74f, 0.01f);
  // A value copied into another file survives (what `model quantize` relies on).
  GgufWriter copy;
  for (const auto& [k, v] : f->metadata()) copy.SetValue(std::string(k), v);
  ASSERT_TRUE(copy.Write(TempPath("copy.gguf")).ok());
  auto g = GgufFile::Open(TempPath("copy.gguf"));
  ASSERT_TRUE(g.ok()) << g.message();
  EXPECT_EQ(g->GetIntArray("ids").value(), (std::vector<int64_t>{3, -4, 5}));
  EXPECT_EQ(g->GetStringArray("names").value(), (std::vector<std::string_view>{"a", "", "ccc"}));
}

TEST(GgufTest, CorruptAndUnsupportedFilesGiveClearErrors) {
  auto good = ReadFileToString(WriteSample());
  ASSERT_TRUE(good.ok());
  const std::string& g = *good;
  auto patched = [&](const std::string& after, size_t skip, const void* bytes, size_t n) {
    std::string b = g;
    const size_t at = b.find(after) + after.size() + skip;
    std::memcpy(b.data() + at, bytes, n);
    return b;
  };
  const uint32_t iq2_xxs = 16, five_dims = 5, version1 = 1;
  const uint64_t misaligned = 7, huge = uint64_t{1} << 62;
  struct Case {
    std::string name;
    std::string bytes;
    std::string error;
  } cases[] = {
      {"empty", "", "not a GGUF file"},
      {"bad magic", "GGML" + g.substr(4), "not a GGUF file"},
      {"truncated version", g.substr(0, 6), "truncated header"},
      {"version 1", patched("GGUF", 0, &version1, 4), "GGUF version 1 is not supported"},
      {"truncated counts", g.substr(0, 20), "truncated header"},
      {"truncated in metadata", g.substr(0, 60), "truncated header"},
      {"truncated in tensor table", g.substr(0, g.find("mat") + 2), "truncated header"},
      {"huge counts", patched("GGUF", 4, &huge, 8), "corrupt counts"},
      {"tensor past end of file", g.substr(0, g.size() - 40), "extends past the end of the file"},
      {"unknown tensor type", patched("mat", 4 + 16, &iq2_xxs, 4),
       "tensor 'mat' has type IQ2_XXS (16), which this engine does not support"},
      {"five dimensions", patched("mat", 0, &five_dims, 4), "tensor 'mat' has 5 dimensions"},
      {"misaligned tensor", patched("mat", 4 + 16 + 4, &misaligned, 8),
       "not a multiple of the alignment"},
  };
  for (const auto& c : cases) {
    auto r = GgufFile::Parse(c.bytes, "x.gguf");
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.message().find(c.error), std::string::npos) << c.name << ": " << r.message();
    EXPECT_EQ(r.message().rfind("x.gguf: ", 0), 0u) << c.name;
  }
  // Every prefix of a valid file that cuts into its data is rejected cleanly (no crash, no
  // out-of-bounds read); only the last tensor's 20 bytes of padding may go.
  for (size_t n = 0; n + 20 < g.size(); n += 3) {
    EXPECT_FALSE(GgufFile::Parse(g.substr(0, n), "p").ok()) << n;
  }
  EXPECT_NE(GgufFile::Open("/nonexistent.gguf").message().find("cannot open"), std::string::npos);
}

TEST(GgufTest, ModelLevelErrorsNameTheProblem) {
  auto unknown_arch = GgufFile::Open(WriteSample("gpt2"));
  ASSERT_TRUE(unknown_arch.ok());
  EXPECT_NE(LoadGgufModel(*unknown_arch)
                .message()
                .find("architecture 'gpt2' is not supported (supported: llama, qwen2)"),
            std::string::npos);
  auto llama = GgufFile::Open(WriteSample("llama"));
  ASSERT_TRUE(llama.ok());
  EXPECT_NE(LoadGgufModel(*llama).message().find("missing metadata 'llama.embedding_length'"),
            std::string::npos);
  EXPECT_NE(LoadGgufTokenizer(*llama).message().find("embeds no tokenizer"), std::string::npos);
}

// A GGUF file with `tokenizer.ggml.model = gpt2` (the GPT-2 vocabulary and merges written the way
// llama.cpp's converter writes them) gives the same tokenizer as OpenAI's files.
TEST(GgufTest, EmbeddedGpt2TokenizerMatchesTheOpenAiFiles) {
  const std::string dir = std::string(LLMS_SHARED_DIR) + "/tokenizers/gpt2";
  auto files = Gpt2Tokenizer::LoadFiles(dir + "/encoder.json", dir + "/vocab.bpe");
  if (!files.ok()) GTEST_SKIP() << "../shared/tokenizers/gpt2 is absent; CI has it";
  std::vector<std::string> tokens, merges;
  std::vector<int32_t> types;
  for (int i = 0; i < files->vocab_size(); ++i) {
    tokens.push_back(files->piece(i));
    types.push_back(files->is_special(i) ? 3 : 1);
  }
  auto bpe = ReadFileToString(dir + "/vocab.bpe");
  ASSERT_TRUE(bpe.ok());
  size_t start = bpe->find('\n') + 1;  // skip "#version"
  while (start < bpe->size()) {
    const size_t end = bpe->find('\n', start);
    const std::string line = bpe->substr(start, end - start);
    if (!line.empty()) merges.push_back(line);
    start = end == std::string::npos ? bpe->size() : end + 1;
  }
  // Writes the vocabulary as GGUF metadata with this pre-tokenizer (ids and types only when asked)
  // and loads the tokenizer back.
  auto write_and_load = [&](const std::string& name, const std::string& pre, bool ids) {
    GgufWriter w;
    w.SetString("tokenizer.ggml.model", "gpt2");
    w.SetString("tokenizer.ggml.pre", pre);
    w.SetStringArray("tokenizer.ggml.tokens", tokens);
    w.SetStringArray("tokenizer.ggml.merges", merges);
    if (ids) {
      w.SetInt32Array("tokenizer.ggml.token_type", types);
      w.SetUint32("tokenizer.ggml.bos_token_id", 50256);
      w.SetUint32("tokenizer.ggml.eos_token_id", 50256);
    }
    EXPECT_TRUE(w.Write(TempPath(name)).ok());
    auto f = GgufFile::Open(TempPath(name));
    EXPECT_TRUE(f.ok()) << f.message();
    return LoadGgufTokenizer(*f);
  };
  auto tok = write_and_load("gpt2-vocab.gguf", "gpt-2", true);
  ASSERT_TRUE(tok.ok()) << tok.message();
  for (const char* text : {"hello world", "Hello, I'm 12345 years old!\n\n  ok",
                           "héllo 世界 🙂", "x<|endoftext|>y"}) {
    EXPECT_EQ((*tok)->Encode(text, false), files->Encode(text, false)) << text;
  }
  EXPECT_EQ((*tok)->Encode("hello world", false), (std::vector<int>{31373, 995}));
  EXPECT_FALSE((*tok)->add_bos());  // no tokenizer.ggml.add_bos_token: BPE vocabularies add none
  // Without bos/eos ids the end-of-text token serves as both.
  auto defaulted = write_and_load("gpt2-no-ids.gguf", "gpt-2", false);
  ASSERT_TRUE(defaulted.ok()) << defaulted.message();
  EXPECT_EQ((*defaulted)->eos(), 50256);
  EXPECT_EQ((*defaulted)->bos(), 50256);
  // An unknown pre-tokenizer is an error, not a silent guess; "gpt2" is not llama.cpp's name.
  EXPECT_NE(write_and_load("gpt2-bad.gguf", "mystery", false).message().find("mystery"),
            std::string::npos);
  EXPECT_NE(write_and_load("gpt2-nohyphen.gguf", "gpt2", false).message().find("\"gpt2\""),
            std::string::npos);
}

}  // namespace
}  // namespace llms::engine
