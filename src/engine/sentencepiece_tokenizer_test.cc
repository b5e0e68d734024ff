// Tests for the SentencePiece tokenizer on the real tok512 vocabulary (round trips, byte
// fallback, llama2.c's leading-space rules) and for streaming UTF-8 assembly.
#include "engine/sentencepiece_tokenizer.h"

#include <gtest/gtest.h>

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
