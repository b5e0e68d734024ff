// Tests for the SentencePiece tokenizer on the real tok512 vocabulary (round trips, byte
// fallback, llama2.c's leading-space rules, the heap-ordered merges against llama2.c's own
// rescanning loop on random text) and for streaming UTF-8 assembly.
#include "engine/sentencepiece_tokenizer.h"

#include <gtest/gtest.h>

#include <random>

#include "engine/test_models.h"

namespace llms::engine {
namespace {

std::string Decode(const Tokenizer& t, const std::vector<int>& ids) {
  std::string out;
  Utf8Stream s;
  for (size_t i = 1; i < ids.size(); ++i) out += s.Push(t.DecodePiece(ids[i - 1], ids[i]));
  return out + s.Flush();
}

TEST(SentencePieceTokenizerTest, RoundTripsOnTok512) {
  LLMS_REQUIRE_STORIES();
  auto t = SentencePieceTokenizer::LoadLlama2c(testing::StoriesDir() + "/tok512.bin", 512);
  ASSERT_TRUE(t.ok()) << t.message();
  for (const std::string text : {"Once upon a time", "Lily and Tom played in the park.",
                                 "héllo wörld 世界 🙂", "a  b\ttabs\nnewline", "x"}) {
    const auto ids = t->Encode(text, true);
    ASSERT_EQ(ids[0], 1);
    EXPECT_EQ(t->piece(ids[1]).front(), ' ');  // the dummy prefix starts the first piece
    EXPECT_EQ(Decode(*t, ids), text) << text;
    for (int id : ids) ASSERT_TRUE(id >= 0 && id < 512);
  }
  // Merges happen: common words are few pieces, not one per character.
  EXPECT_LT(t->Encode("Once upon a time", true).size(), 10u);
  // Byte fallback: a code point outside the vocabulary becomes its UTF-8 bytes (id = byte + 3).
  const auto emoji = t->Encode("🙂", false);
  ASSERT_GE(emoji.size(), 4u);
  EXPECT_EQ(emoji.back(), 0x82 + 3);
  EXPECT_TRUE(t->Encode("", true) == std::vector<int>{1});
}

// llama2.c's encode loop as it is written there (rescan every pair, merge the best, leftmost on
// ties), quadratic: the oracle for the heap-ordered merges.
std::vector<int> RescanMerges(const SentencePieceTokenizer& t, std::vector<int> tokens) {
  for (;;) {
    float best = -1e10f;
    int best_id = -1;
    size_t best_at = 0;
    for (size_t i = 0; i + 1 < tokens.size(); ++i) {
      const int id = t.Lookup(t.piece(tokens[i]) + t.piece(tokens[i + 1]));
      if (id >= 0 && t.score(id) > best) {
        best = t.score(id);
        best_id = id;
        best_at = i;
      }
    }
    if (best_id < 0) return tokens;
    tokens[best_at] = best_id;
    tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(best_at) + 1);
  }
}

TEST(SentencePieceTokenizerTest, MergesAsLlama2csRescanDoesOnRandomText) {
  LLMS_REQUIRE_STORIES();
  auto t = SentencePieceTokenizer::LoadLlama2c(testing::StoriesDir() + "/tok512.bin", 512);
  ASSERT_TRUE(t.ok()) << t.message();
  std::mt19937 rng(5);
  const std::vector<std::string> words{"the", " the", "a",  "Once", " upon", "time",
                                       " ",   "  ",   "\n", "é",    "世界",  "🙂",
                                       "ing", "ed",   "x",  "q",    ".",     "!"};
  for (int round = 0; round < 300; ++round) {
    std::string text;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) text += words[rng() % words.size()];
    const bool bos = round % 2 == 0;
    EXPECT_EQ(t->Encode(text, bos), RescanMerges(*t, t->CodePointPieces(text, bos))) << text;
  }
}

TEST(SentencePieceTokenizerTest, RejectsMismatchedFiles) {
  LLMS_REQUIRE_STORIES();
  auto wrong = SentencePieceTokenizer::LoadLlama2c(testing::StoriesDir() + "/tok512.bin", 600);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.message().find("does the tokenizer match"), std::string::npos) << wrong.message();
  auto fewer = SentencePieceTokenizer::LoadLlama2c(testing::StoriesDir() + "/tok512.bin", 500);
  EXPECT_NE(fewer.message().find("bytes left after 500 tokens"), std::string::npos)
      << fewer.message();
  auto model_as_tokenizer =
      SentencePieceTokenizer::LoadLlama2c(testing::StoriesDir() + "/stories260K.bin", 512);
  EXPECT_FALSE(model_as_tokenizer.ok());
  EXPECT_FALSE(SentencePieceTokenizer::LoadLlama2c("/nonexistent", 512).ok());
}

// Found by the GGUF fuzzer: pieces that look like "<0xHH>" but are not two hex digits (sscanf
// accepted "<0x-1>" as byte 0xFFFFFFFF) are ordinary pieces, not byte fallbacks.
TEST(SentencePieceTokenizerTest, OnlyTwoHexDigitPiecesAreBytes) {
  const auto t = SentencePieceTokenizer::FromPieces(
      {"<unk>", "<s>", "</s>", "<0x-1>", "<0x 1>", "<0x41>", " "}, {0, 0, 0, 0, 0, 0, 0}, 1, 2);
  EXPECT_EQ(t.DecodePiece(5, 3), "<0x-1>");
  EXPECT_EQ(t.DecodePiece(5, 4), "<0x 1>");
  EXPECT_EQ(t.DecodePiece(5, 5), "A");
  EXPECT_EQ(t.Encode("A", false), (std::vector<int>{6, 5}));  // " " then the byte piece of 'A'
}

TEST(Utf8StreamTest, ReleasesOnlyCompleteCharacters) {
  Utf8Stream s;
  const std::string euro = "\xE2\x82\xAC";  // U+20AC in three bytes
  EXPECT_EQ(s.Push(euro.substr(0, 1)), "");
  EXPECT_EQ(s.Push(euro.substr(1, 1)), "");
  EXPECT_EQ(s.Push(euro.substr(2) + "a"), euro + "a");
  EXPECT_EQ(s.Push("\xFF"
                   "b"),
            "\xEF\xBF\xBD"
            "b");  // invalid byte -> U+FFFD
  EXPECT_EQ(s.Push("\xE2\x82"), "");
  EXPECT_EQ(s.Flush(), "\xEF\xBF\xBD");  // truncated sequence at the end
}

}  // namespace
}  // namespace llms::engine
