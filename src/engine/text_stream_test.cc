// Tests for TextStream: pieces decoded in order, UTF-8 assembled across tokens, stop strings cut
// wherever they fall (inside a token, across tokens), their possible starts held back and released
// when the next token rules them out, and the stop-string helpers on a table of cases.
#include "engine/text_stream.h"

#include <gtest/gtest.h>

#include "engine/sentencepiece_tokenizer.h"

namespace llms::engine {
namespace {

// ids: 0 <unk>, 1 <s>, 2 </s>, 3 " Hello", 4 " wor", 5 "ld", 6 "<0xE2>", 7 "<0x82>", 8 "<0xAC>",
// 9 " E", 10 "ND", 11 "!", 12 "xEN".
SentencePieceTokenizer Vocabulary() {
  return SentencePieceTokenizer::FromPieces({"<unk>", "<s>", "</s>", " Hello", " wor", "ld",
                                             "<0xE2>", "<0x82>", "<0xAC>", " E", "ND", "!", "xEN"},
                                            std::vector<float>(13, 0.0f), 1, 2);
}

std::string PushAll(TextStream& s, const std::vector<int32_t>& tokens) {
  std::string out;
  for (int32_t t : tokens) out += s.Push(t);
  return out + s.Finish();
}

TEST(TextStreamTest, DecodesPiecesAfterTheirPredecessor) {
  const SentencePieceTokenizer tok = Vocabulary();
  TextStream s(tok, /*last_prompt_token=*/1, {});  // after BOS a leading space is dropped
  EXPECT_EQ(s.Push(3), "Hello");
  EXPECT_EQ(s.Push(4), " wor");
  EXPECT_EQ(s.Push(5), "ld");
  EXPECT_EQ(s.Finish(), "");
  EXPECT_FALSE(s.stopped());
}

TEST(TextStreamTest, AssemblesUtf8AcrossTokens) {
  const SentencePieceTokenizer tok = Vocabulary();
  TextStream s(tok, 3, {});
  EXPECT_EQ(s.Push(6), "");  // the first byte of the euro sign
  EXPECT_EQ(s.Push(7), "");
  EXPECT_EQ(s.Push(8), "\xe2\x82\xac");
  // An incomplete character at the end becomes U+FFFD.
  EXPECT_EQ(s.Push(6), "");
  EXPECT_EQ(s.Finish(), "\xef\xbf\xbd");
}

TEST(TextStreamTest, AStopStringAcrossTokensIsCutAndItsStartHeldBack) {
  const SentencePieceTokenizer tok = Vocabulary();
  TextStream s(tok, 3, {"END"});
  EXPECT_EQ(s.Push(4), " wor");
  EXPECT_EQ(s.Push(9), " ");  // " E" might begin "END": the E waits
  EXPECT_FALSE(s.stopped());
  EXPECT_EQ(s.Push(10), "");  // "END" complete: nothing after the text before it
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(s.Push(11), "");
  EXPECT_EQ(s.Finish(), "");
}

TEST(TextStreamTest, AHeldStartIsReleasedWhenTheNextTokenRulesItOut) {
  const SentencePieceTokenizer tok = Vocabulary();
  TextStream s(tok, 3, {"END"});
  EXPECT_EQ(s.Push(9), " ");
  EXPECT_EQ(s.Push(11), "E!");
  EXPECT_EQ(PushAll(s, {12, 5}), "xENld");
  EXPECT_FALSE(s.stopped());
}

TEST(TextStreamTest, TheEarliestOfSeveralStopStringsWins) {
  const SentencePieceTokenizer tok = Vocabulary();
  TextStream s(tok, 3, {"ld", " wor", ""});
  EXPECT_EQ(PushAll(s, {3, 4, 5}), " Hello");
  EXPECT_TRUE(s.stopped());
}

TEST(TextStreamTest, StopStringHelpers) {
  const std::vector<std::string> stop{"END", "\n\n"};
  struct Case {
    const char* text;
    size_t find, hold;
  } cases[] = {
      {"abc END x", 4, 0},
      {"a\n\nb END", 1, 0},
      {"abc", std::string::npos, 0},
      {"abc E", std::string::npos, 1},
      {"abc EN", std::string::npos, 2},
      {"abc\n", std::string::npos, 1},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FindStop(c.text, stop), c.find) << c.text;
    EXPECT_EQ(StopPrefixHold(c.text, stop), c.hold) << c.text;
  }
  EXPECT_EQ(StopPrefixHold("abc", {}), 0u);
}

}  // namespace
}  // namespace llms::engine
