// Tests for the GPT-2 byte-level BPE tokenizer: encodings of OpenAI's GPT-2 vocabulary against
// published reference outputs (tiktoken's tests; llama.cpp's vocabulary tests, generated with
// Hugging Face's GPT-2 tokenizer), byte-exact round trips, special tokens, the three
// pre-tokenizers, construction from GGUF-style arrays, and load errors.
#include "engine/gpt2_tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace llms::engine {
namespace {

std::string Gpt2Dir() {
  return std::string(LLMS_SHARED_DIR) + "/tokenizers/gpt2";
}

// Loaded once: parsing the 1 MB encoder.json for every test would dominate the run time.
const Result<Gpt2Tokenizer>& Gpt2() {
  static const Result<Gpt2Tokenizer> t =
      Gpt2Tokenizer::LoadFiles(Gpt2Dir() + "/encoder.json", Gpt2Dir() + "/vocab.bpe");
  return t;
}

#define LLMS_REQUIRE_GPT2()                                             \
  do {                                                                  \
    if (!std::filesystem::exists(Gpt2Dir() + "/encoder.json"))          \
      GTEST_SKIP() << "../shared/tokenizers/gpt2 is absent; CI has it"; \
    ASSERT_TRUE(Gpt2().ok()) << Gpt2().message();                       \
  } while (0)

// Concatenates the raw bytes of each token (no UTF-8 repair), so invalid input must come back
// byte for byte.
std::string DecodeBytes(const Tokenizer& t, const std::vector<int>& ids) {
  std::string out;
  int prev = t.bos();
  for (int id : ids) {
    out += t.DecodePiece(prev, id);
    prev = id;
  }
  return out;
}

std::vector<std::string> Split(std::string_view text, PreTokenizer pre) {
  std::vector<std::string> out;
  for (std::string_view piece : Gpt2Tokenizer::PreTokenize(text, pre)) out.emplace_back(piece);
  return out;
}

struct Case {
  std::string text;
  std::vector<int> ids;
};

// ---- OpenAI's GPT-2 vocabulary
// -------------------------------------------------------------------

TEST(Gpt2TokenizerTest, LoadsOpenAiFiles) {
  LLMS_REQUIRE_GPT2();
  const Gpt2Tokenizer& t = *Gpt2();
  EXPECT_EQ(t.vocab_size(), 50257);
  EXPECT_EQ(t.bos(), 50256);
  EXPECT_EQ(t.eos(), 50256);
  EXPECT_TRUE(t.is_special(50256));
  EXPECT_FALSE(t.is_special(995));
  EXPECT_EQ(t.piece(995), "\xC4\xA0world");  // "Ġworld": the space is stored as U+0120
  EXPECT_EQ(t.DecodePiece(t.bos(), 995), " world");
  EXPECT_EQ(t.DecodePiece(995, 50256), "<|endoftext|>");
  EXPECT_EQ(t.DecodePiece(0, 50257), "");
  EXPECT_EQ(t.DecodePiece(0, -1), "");
  EXPECT_EQ(t.pre_tokenizer(), PreTokenizer::kGpt2);
}

TEST(Gpt2TokenizerTest, MatchesTiktoken) {
  LLMS_REQUIRE_GPT2();
  // openai/tiktoken tests/test_encoding.py: test_simple (the second with allowed_special="all"),
  // test_simple_repeated, and test_encode_empty (on r50k_base, GPT-2's vocabulary).
  const std::vector<Case> cases = {
      {"hello world", {31373, 995}},
      {"hello <|endoftext|>", {31373, 220, 50256}},
      {"0", {15}},
      {"00", {405}},
      {"000", {830}},
      {"0000", {2388}},
      {"00000", {20483}},
      {"000000", {10535}},
      {"0000000", {24598}},
      {"00000000", {8269}},
      {"000000000", {10535, 830}},
      {"0000000000", {8269, 405}},
      {"00000000000", {8269, 830}},
      {"000000000000", {8269, 2388}},
      {"0000000000000", {8269, 20483}},
      {"00000000000000", {8269, 10535}},
      {"000000000000000", {8269, 24598}},
      {"0000000000000000", {25645}},
      {"00000000000000000", {8269, 10535, 830}},
      {"", {}},
  };
  for (const Case& c : cases) {
    // allowed_special="all": special tokens parsed (the others have none).
    EXPECT_EQ(Gpt2()->Encode(c.text, false, true), c.ids) << "\"" << c.text << "\"";
  }
}

// The last case of llama.cpp's vocabulary test: every kind of whitespace run, emoji with ZWJ,
// digit runs, Khmer, CJK, Cyrillic, quote runs and contractions in every case.
const char* const kLlamaCppStress =
    "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n"
    "🚀 (normal) 😶\u200D🌫\uFE0F (multiple emojis concatenated) ✅ "
    "🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 "
    "កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на "
    "Български ''''''```````\"\"\"\"......!!!!!!?????? I've been "
    "'told he's there, 'RE you sure? 'M not sure I'll make it, 'D "
    "you like some tea? We'Ve a'lL";

TEST(Gpt2TokenizerTest, MatchesHuggingFaceTokenizer) {
  LLMS_REQUIRE_GPT2();
  // ggml-org/llama.cpp models/ggml-vocab-gpt-2.gguf.inp and .out: the ids come from Hugging
  // Face's GPT-2 tokenizer (convert_hf_to_gguf_update.py calls AutoTokenizer(...).encode(text,
  // add_special_tokens=False)). They cover whitespace runs, contractions, numbers, punctuation,
  // accents, Cyrillic, Khmer (combining marks), emoji and CJK.
  const std::vector<Case> cases = {
      {"ied 4 ½ months", {798, 604, 25208, 1933}},
      {"Führer", {37, 9116, 71, 11751}},
      {"", {}},
      {" ", {220}},
      {"  ", {220, 220}},
      {"   ", {220, 220, 220}},
      {"\t", {197}},
      {"\n", {198}},
      {"\n\n", {628}},
      {"\n\n\n", {628, 198}},
      {"\t\n", {197, 198}},
      {"Hello world", {15496, 995}},
      {" Hello world", {18435, 995}},
      {"Hello World", {15496, 2159}},
      {" Hello World", {18435, 2159}},
      {" Hello World!", {18435, 2159, 0}},
      {"Hello, world!", {15496, 11, 995, 0}},
      {" Hello, world!", {18435, 11, 995, 0}},
      {" this is 🦙.cpp", {428, 318, 12520, 99, 247, 13, 20322}},
      {"w048 7tuijk dsdfhu", {86, 47202, 767, 28047, 45961, 288, 82, 7568, 13415}},
      {"нещо на Български", {22177, 16843, 141,   231, 15166, 12466, 121,   16142, 12466, 239,
                             141,   232,   30143, 140, 111,   16142, 21169, 21727, 31583, 18849}},
      {"កាន់តែពិសេសអាចខលចេញ",
       {157, 252, 222, 157, 252, 114, 157, 252, 241, 157, 253, 233, 157, 252, 237,
        157, 253, 224, 157, 252, 244, 157, 252, 115, 157, 252, 253, 157, 253, 223,
        157, 252, 253, 157, 252, 95,  157, 252, 114, 157, 252, 227, 157, 252, 223,
        157, 252, 249, 157, 252, 227, 157, 253, 223, 157, 252, 231}},
      {"🚀 (normal) 😶\u200D🌫\uFE0F (multiple emojis concatenated) ✅ (only emoji that has "
       "its "
       "own "
       "token)",
       {8582, 248,   222,  357,   11265, 8,     30325, 114,  447,   235, 8582, 234,
        104,  37929, 357,  48101, 795,   13210, 271,   1673, 36686, 515, 8,    14519,
        227,  357,   8807, 44805, 326,   468,   663,   898,  11241, 8}},
      {"Hello", {15496}},
      {" Hello", {18435}},
      {"  Hello", {220, 18435}},
      {"   Hello", {220, 220, 18435}},
      {"    Hello", {220, 220, 220, 18435}},
      {"    Hello\n    Hello", {220, 220, 220, 18435, 198, 220, 220, 220, 18435}},
      {" (", {357}},
      {"\n =", {198, 796}},
      {"' era", {6, 6980}},
      {"Hello, y'all! How are you 😁 ?我想在apple工作1314151天～",
       {15496, 11,    331,   6,    439,   0,     1374,  389, 345,   30325,
        223,   5633,  22755, 239,  46349, 111,   28839, 101, 18040, 32432,
        98,    43291, 1485,  1415, 24309, 25465, 171,   121, 252}},
      {"!!!!!!", {13896, 3228}},
      {"3", {18}},
      {"33", {2091}},
      {"333", {20370}},
      {"3333", {24840}},
      {"33333", {2091, 20370}},
      {"333333", {24840, 2091}},
      {"3333333", {24840, 20370}},
      {"33333333", {24840, 24840}},
      {"333333333", {24840, 2091, 20370}},
      {"Cửa Việt", {34, 157, 119, 255, 64, 16049, 157, 119, 229, 83}},
      {" discards", {1221, 1371}},
      {kLlamaCppStress,
       {198,   220,   628,   220,   628,   198,   220,   197,   220,   197,   197,   220,   197,
        198,   220,   220,   198,   220,   220,   220,   198,   220,   220,   220,   220,   198,
        220,   220,   220,   220,   220,   198,   8582,  248,   222,   357,   11265, 8,     30325,
        114,   447,   235,   8582,  234,   104,   37929, 357,   48101, 795,   13210, 271,   1673,
        36686, 515,   8,     14519, 227,   12520, 99,    247,   8582,  99,    247,   513,   4747,
        23460, 513,   20370, 23460, 2091,  23460, 20370, 23460, 24840, 23460, 2091,  20370, 513,
        13,    18,    513,   492,   18,    513,   986,   18,    28053, 252,   222,   157,   252,
        114,   157,   252,   241,   157,   253,   233,   157,   252,   237,   157,   253,   224,
        157,   252,   244,   157,   252,   115,   157,   252,   253,   157,   253,   223,   157,
        252,   253,   157,   252,   95,    157,   252,   114,   157,   252,   227,   47249, 223,
        5633,  22755, 239,   46349, 111,   28839, 101,   18040, 32432, 98,    43291, 1485,  1415,
        24309, 25465, 171,   121,   252,   40103, 1421,  18604, 12466, 121,   16843, 141,   231,
        15166, 12466, 121,   16142, 12466, 239,   141,   232,   30143, 140,   111,   16142, 21169,
        21727, 31583, 18849, 705,   39115, 6,     33153, 15506, 63,    15931, 15931, 16317, 13896,
        3228,  9805,  3548,  314,   1053,  587,   705,   44040, 339,   338,   612,   11,    705,
        2200,  345,   1654,  30,    705,   44,    407,   1654,  314,   1183,  787,   340,   11,
        705,   35,    345,   588,   617,   8887,  30,    775,   6,     26979, 257,   6,     75,
        43}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Gpt2()->Encode(c.text, false), c.ids) << "\"" << c.text << "\"";
  }
}

// Strings that stress pre-tokenization and decoding, invalid UTF-8 included.
std::vector<std::string> TrickyStrings() {
  std::vector<std::string> out = {
      "",
      " ",
      "hello world",
      "  leading and trailing  ",
      "tabs\tand\nnewlines\r\n\r\n\n",
      "I'm sure you'll see they're 'RE'd, won't they've?",
      "naïve café, Ærøskøbing, ﬁnance",
      "日本語のテキストと한국어",
      "🦙🚀👍🏽 👨\u200D👩\u200D👧",
      "e\u0301\u0302 combining marks",
      "12345678901234567890 3.14159 ½ ٣ Ⅻ",
      "\u00A0\u3000\u2028\u0085 unicode spaces",
      "\x1C\x1F control",
      "\xFF\xFE invalid bytes",
      "abc\x80"
      "def",
      "truncated euro \xE2\x82",
      "surrogate \xED\xA0\x80, overlong \xC0\xAF, too big \xF4\x90\x80\x80",
      "<|endoftext|> in the middle <|endoftext|><|endoftext|>",
      "<|endoftext| almost special",
  };
  out.push_back(std::string("embedded\0nul", 12));
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  out.push_back(all_bytes);
  return out;
}

TEST(Gpt2TokenizerTest, RoundTripsBytesExactly) {
  LLMS_REQUIRE_GPT2();
  const Gpt2Tokenizer& t = *Gpt2();
  for (const std::string& text : TrickyStrings()) {
    const std::vector<int> ids = t.Encode(text, false);
    for (int id : ids) ASSERT_TRUE(id >= 0 && id < t.vocab_size()) << id;
    EXPECT_EQ(DecodeBytes(t, ids), text) << "\"" << text << "\"";
  }
}

TEST(Gpt2TokenizerTest, RecognisesEndOfTextInTextOnlyWhenAsked) {
  LLMS_REQUIRE_GPT2();
  const Gpt2Tokenizer& t = *Gpt2();
  EXPECT_EQ(t.Encode("<|endoftext|>", false, true), std::vector<int>{50256});
  EXPECT_EQ(t.Encode("a<|endoftext|>b", false, true), (std::vector<int>{64, 50256, 65}));
  EXPECT_EQ(t.Encode("<|endoftext|><|endoftext|>", false, true), (std::vector<int>{50256, 50256}));
  // Not asked (a user's text): ordinary text, as the npm gpt-3-encoder@1.1.4 (which knows no
  // special tokens) encodes it; no control token can be injected.
  EXPECT_EQ(t.Encode("<|endoftext|>", false), (std::vector<int>{27, 91, 437, 1659, 5239, 91, 29}));
  EXPECT_EQ(t.Encode("hello <|endoftext|>", false),
            (std::vector<int>{31373, 1279, 91, 437, 1659, 5239, 91, 29}));
  // BOS is <|endoftext|> too.
  EXPECT_EQ(t.Encode("hello world", true), (std::vector<int>{50256, 31373, 995}));
  EXPECT_EQ(t.Encode("", true), std::vector<int>{50256});
  // Nearly special text is ordinary text.
  for (const std::string text : {"<|endoftext|", "<|endoftext |>", "<|ENDOFTEXT|>"}) {
    const std::vector<int> ids = t.Encode(text, false);
    EXPECT_GT(ids.size(), 1u) << text;
    EXPECT_EQ(DecodeBytes(t, ids), text);
  }
}

TEST(Gpt2TokenizerTest, EncodesLongInputs) {
  LLMS_REQUIRE_GPT2();
  const Gpt2Tokenizer& t = *Gpt2();
  // Pre-tokens 200,000 bytes long: merging them quadratically would take minutes.
  for (const std::string& text :
       {std::string(200000, 'x'), std::string(200000, ' ') + "x", std::string(200000, '\n')}) {
    EXPECT_EQ(DecodeBytes(t, t.Encode(text, false)), text);
  }
}

// ---- Pre-tokenizers (the splits Python's `regex` module gives for each pattern)
// -------------------

struct SplitCase {
  std::string text;
  std::vector<std::string> gpt2, llama3, qwen2;
};

TEST(PreTokenizerTest, SplitsAsTheRegexes) {
  const std::vector<SplitCase> cases = {
      {"Hello 123456 world!!\n\n  x",
       {"Hello", " 123456", " world", "!!", "\n\n ", " x"},
       {"Hello", " ", "123", "456", " world", "!!\n\n", " ", " x"},
       {"Hello", " ", "1", "2", "3", "4", "5", "6", " world", "!!\n\n", " ", " x"}},
      // Contractions: case-sensitive for GPT-2 only, and only at the start of a pre-token.
      {"I'll say it's 'RE'd",
       {"I", "'ll", " say", " it", "'s", " '", "RE", "'d"},
       {"I", "'ll", " say", " it", "'s", " '", "RE", "'d"},
       {"I", "'ll", " say", " it", "'s", " '", "RE", "'d"}},
      {"don'T \u017Fee 'Ss'LL x'\u017F",  // U+017F LONG S case-folds to 's'
       {"don", "'", "T", " \u017Fee", " '", "Ss", "'", "LL", " x", "'", "\u017F"},
       {"don", "'T", " \u017Fee", " '", "Ss", "'LL", " x", "'\u017F"},
       {"don", "'T", " \u017Fee", " '", "Ss", "'LL", " x", "'\u017F"}},
      // Whitespace runs give their last character to the next word unless a newline ends them.
      {"a \n b\t\tc  ",
       {"a", " \n", " b", "\t", "\t", "c", "  "},
       {"a", " \n", " b", "\t", "\tc", "  "},
       {"a", " \n", " b", "\t", "\tc", "  "}},
      {"x\r\n\r\n  y",
       {"x", "\r\n\r\n ", " y"},
       {"x", "\r\n\r\n", " ", " y"},
       {"x", "\r\n\r\n", " ", " y"}},
      // Llama 3 lets any one non-newline character lead a word and newlines follow punctuation.
      {"!hi ?!\n\nok",
       {"!", "hi", " ?!", "\n", "\n", "ok"},
       {"!hi", " ?!\n\n", "ok"},
       {"!hi", " ?!\n\n", "ok"}},
      // \p{N} is every number: ½ (No), ٣ (Nd), Ⅻ (Nl).
      {"\u00BD\u0663 \u216B45",
       {"\u00BD\u0663", " \u216B45"},
       {"\u00BD\u0663", " ", "\u216B45"},
       {"\u00BD", "\u0663", " ", "\u216B", "4", "5"}},
      // A combining mark (Mn) is neither letter nor number; emoji are punctuation-like.
      {"cafe\u0301 \u6211\u4EEC\U0001F999!",
       {"cafe", "\u0301", " \u6211\u4EEC", "\U0001F999!"},
       {"cafe", "\u0301", " \u6211\u4EEC", "\U0001F999!"},
       {"cafe", "\u0301", " \u6211\u4EEC", "\U0001F999!"}},
      // \s is Unicode White_Space: NBSP, ideographic space, LINE SEPARATOR and NEL are spaces,
      // the information separators U+001C..U+001F are not.
      {"\u00A0\u3000z \u2028",
       {"\u00A0", "\u3000", "z", " \u2028"},
       {"\u00A0", "\u3000z", " \u2028"},
       {"\u00A0", "\u3000z", " \u2028"}},
      {"\x1C\x1F \u0085",
       {"\x1C\x1F", " \u0085"},
       {"\x1C\x1F", " \u0085"},
       {"\x1C\x1F", " \u0085"}},
      // Invalid UTF-8 bytes are single characters of their own kind: not letters, digits, spaces.
      {"a\xFF"
       "b \xFE\xFD!",
       {"a", "\xFF", "b", " \xFE\xFD!"},
       {"a",
        "\xFF"
        "b",
        " \xFE\xFD!"},
       {"a",
        "\xFF"
        "b",
        " \xFE\xFD!"}},
      {"\xE2\x82\xAC\xE2\x82 x",
       {"\xE2\x82\xAC\xE2\x82", " x"},
       {"\xE2\x82\xAC\xE2\x82", " x"},
       {"\xE2\x82\xAC\xE2\x82", " x"}},
      {"", {}, {}, {}},
  };
  for (const SplitCase& c : cases) {
    EXPECT_EQ(Split(c.text, PreTokenizer::kGpt2), c.gpt2) << "\"" << c.text << "\"";
    EXPECT_EQ(Split(c.text, PreTokenizer::kLlama3), c.llama3) << "\"" << c.text << "\"";
    EXPECT_EQ(Split(c.text, PreTokenizer::kQwen2), c.qwen2) << "\"" << c.text << "\"";
  }
}

// llama.cpp's `default` rules: punctuation runs apart (the apostrophe too: "How's" is three
// pieces, where GPT-2 keeps "'s"), digit runs apart from a leading space, ASCII digits in threes.
TEST(PreTokenizerTest, DefaultSplitsAsLlamaCppsFourRegexes) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"1234567890", {"123", "456", "789", "0"}},
      {"How's it", {"How", "'", "s", " it"}},
      {"a+b=c; x<y", {"a", "+", "b", "=", "c", ";", " x", "<", "y"}},
      {"pay $12.50 now", {"pay", " ", "$", "12", ".", "50", " now"}},
      {"  two  spaces", {" ", " two", " ", " spaces"}},
      {"caf\xC3\xA9 \xE2\x80\x94 ok", {"caf\xC3\xA9", " ", "\xE2\x80\x94", " ok"}},  // em dash
      {"x`y", {"x", "`", "y"}},  // the backtick is not in the punctuation class
  };
  for (const auto& [text, want] : cases) {
    const auto got = Gpt2Tokenizer::PreTokenize(text, PreTokenizer::kDefault);
    EXPECT_EQ(std::vector<std::string>(got.begin(), got.end()), want) << text;
  }
}

TEST(PreTokenizerTest, PiecesCoverTheText) {
  for (const std::string& text : TrickyStrings()) {
    for (PreTokenizer pre : {PreTokenizer::kGpt2, PreTokenizer::kLlama3, PreTokenizer::kQwen2,
                             PreTokenizer::kDefault}) {
      std::string joined;
      for (std::string_view piece : Gpt2Tokenizer::PreTokenize(text, pre)) {
        EXPECT_FALSE(piece.empty());
        joined += piece;
      }
      EXPECT_EQ(joined, text);
    }
  }
}

TEST(PreTokenizerTest, MapsGgufNames) {
  const std::vector<std::pair<std::string, PreTokenizer>> names = {
      {"gpt-2", PreTokenizer::kGpt2},      {"default", PreTokenizer::kDefault},
      {"llama3", PreTokenizer::kLlama3},   {"llama-bpe", PreTokenizer::kLlama3},
      {"llama-v3", PreTokenizer::kLlama3}, {"qwen2", PreTokenizer::kQwen2},
  };
  for (const auto& [name, pre] : names) {
    auto got = Gpt2Tokenizer::PreTokenizerFromName(name);
    ASSERT_TRUE(got.ok()) << got.message();
    EXPECT_EQ(*got, pre) << name;
  }
  // "gpt2" without the hyphen is not a llama.cpp name (it refuses the file), nor is "".
  for (const std::string name : {"deepseek-llm", "", "Qwen2", "gpt2"}) {
    auto got = Gpt2Tokenizer::PreTokenizerFromName(name);
    ASSERT_FALSE(got.ok()) << name;
    EXPECT_NE(got.message().find("\"" + name + "\""), std::string::npos) << got.message();
    EXPECT_NE(got.message().find("supported: gpt-2, default, llama3"), std::string::npos)
        << got.message();
  }
}

// ---- GGUF-style vocabularies -------------------------------------------------------------------

// OpenAI's bytes_to_unicode(), written out independently of the implementation: the vocabulary
// string that stands for byte b.
std::string ByteSymbol(int b) {
  const auto printable = [](int x) {
    return (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE;
  };
  int cp = b;
  if (!printable(b)) {
    cp = 256;
    for (int k = 0; k < b; ++k) cp += printable(k) ? 0 : 1;
  }
  if (cp < 0x80) return std::string(1, static_cast<char>(cp));
  return {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
}

// A vocabulary whose token b is byte b, plus whatever a test adds.
struct ToyVocab {
  ToyVocab() {
    for (int b = 0; b < 256; ++b) Add(ByteSymbol(b));
  }
  int Add(std::string token, int type = 1) {
    tokens.push_back(std::move(token));
    types.push_back(type);
    return static_cast<int>(tokens.size()) - 1;
  }
  Result<Gpt2Tokenizer> Build(PreTokenizer pre = PreTokenizer::kGpt2, int bos = 0,
                              int eos = 0) const {
    return Gpt2Tokenizer::FromVocab(tokens, merges, types, pre, bos, eos);
  }
  std::vector<std::string> tokens, merges;
  std::vector<int> types;
};

std::vector<int> Bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

TEST(Gpt2TokenizerFromVocabTest, MergesLowestRankFirstThenLeftmost) {
  ToyVocab v;
  const int ab = v.Add("ab"), bc = v.Add("bc"), aa = v.Add("aa");
  const int space_t = v.Add("\xC4\xA0t"), he = v.Add("he"), space_the = v.Add("\xC4\xA0the");
  v.merges = {"b c", "a b", "a a", "\xC4\xA0 t", "h e", "\xC4\xA0t he"};
  auto t = v.Build();
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(t->Encode("abc", false), (std::vector<int>{'a', bc}));  // "b c" ranks before "a b"
  EXPECT_EQ(t->Encode("abab", false), (std::vector<int>{ab, ab}));
  EXPECT_EQ(t->Encode("aaa", false), (std::vector<int>{aa, 'a'}));  // the leftmost pair first
  EXPECT_EQ(t->Encode(" the", false), std::vector<int>{space_the});
  EXPECT_EQ(t->Encode(" t", false), std::vector<int>{space_t});
  EXPECT_EQ(t->Encode("he", false), std::vector<int>{he});
  EXPECT_EQ(t->DecodePiece(0, space_the), " the");
  EXPECT_EQ(t->Encode("xyz", true), (std::vector<int>{0, 'x', 'y', 'z'}));
}

TEST(Gpt2TokenizerFromVocabTest, SpecialTokensMatchLongestFirstAndDecodeVerbatim) {
  ToyVocab v;
  const int start = v.Add("<|im_start|>", 3), end = v.Add("<|im_end|>", 3);
  const int im = v.Add("<|im", 4);            // user-defined: special too, and a prefix of both
  const int unused = v.Add("<|unused|>", 5);  // not special: spelled out byte by byte
  const int unknown = v.Add("<unk>", 2);      // not special either
  v.Add("", 3);                               // an empty special must not match everywhere
  auto t = v.Build(PreTokenizer::kQwen2, start, end);
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(t->Encode("<|im_start|>hi<|im_end|>", false, true),
            (std::vector<int>{start, 'h', 'i', end}));
  EXPECT_EQ(t->Encode("<|imx<|im_end", false, true),
            (std::vector<int>{im, 'x', im, '_', 'e', 'n', 'd'}));
  EXPECT_EQ(t->Encode("<|im_start|>hi<|im_end|>", false), Bytes("<|im_start|>hi<|im_end|>"));
  EXPECT_EQ(t->Encode("<|unused|><unk>", false), Bytes("<|unused|><unk>"));
  EXPECT_EQ(t->Encode("hi", true), (std::vector<int>{start, 'h', 'i'}));
  EXPECT_TRUE(t->is_special(start) && t->is_special(im));
  EXPECT_FALSE(t->is_special(unused) || t->is_special(unknown) || t->is_special('a'));
  EXPECT_EQ(t->DecodePiece(0, start), "<|im_start|>");
  EXPECT_EQ(t->DecodePiece(0, im), "<|im");
  EXPECT_EQ(t->bos(), start);
  EXPECT_EQ(t->eos(), end);
  // Without token types nothing is special.
  v.types.clear();
  auto plain = v.Build();
  ASSERT_TRUE(plain.ok()) << plain.message();
  EXPECT_EQ(plain->Encode("<|im_end|>", false), Bytes("<|im_end|>"));
}

TEST(Gpt2TokenizerFromVocabTest, Llama3TakesPreTokensThatAreTokensWhole) {
  ToyVocab v;
  const int word = v.Add("\xC4\xA0xyz");  // " xyz", which no merge makes
  auto llama3 = v.Build(PreTokenizer::kLlama3);
  auto qwen2 = v.Build(PreTokenizer::kQwen2);
  ASSERT_TRUE(llama3.ok() && qwen2.ok());
  EXPECT_EQ(llama3->Encode(" xyz", false), std::vector<int>{word});
  EXPECT_EQ(qwen2->Encode(" xyz", false), Bytes(" xyz"));
  EXPECT_EQ(llama3->Encode("12345", false), Bytes("12345"));  // "123", "45": no merges
}

TEST(Gpt2TokenizerFromVocabTest, RejectsInconsistentVocabularies) {
  const auto error = [](const ToyVocab& v, int bos = 0) {
    auto t = v.Build(PreTokenizer::kGpt2, bos, 0);
    return t.ok() ? std::string("(loaded)") : t.message();
  };
  const auto has = [](const std::string& message, const std::string& part) {
    return message.find(part) != std::string::npos;
  };
  {
    ToyVocab v;
    v.tokens.pop_back();  // byte 0xFF, "ÿ"
    v.types.pop_back();
    EXPECT_TRUE(has(error(v), "no token \"\xC3\xBF\" for byte 0xFF")) << error(v);
  }
  {
    ToyVocab v;
    v.types['!'] = 3;  // a byte token cannot be special
    EXPECT_TRUE(has(error(v), "for byte 0x21")) << error(v);
  }
  {
    ToyVocab v;
    v.types.pop_back();
    EXPECT_TRUE(has(error(v), "255 token types for 256 tokens")) << error(v);
  }
  {
    ToyVocab v;
    v.types[7] = 9;
    EXPECT_TRUE(has(error(v), "token type 9")) << error(v);
  }
  {
    ToyVocab v;
    EXPECT_TRUE(has(error(v, 256), "BOS/EOS id 256 is not a token id")) << error(v, 256);
  }
  {
    ToyVocab v;
    v.merges = {"a b"};
    EXPECT_TRUE(has(error(v), "merge 1 (\"a b\"): \"ab\" is not in the vocabulary")) << error(v);
  }
  {
    ToyVocab v;
    v.Add("ab");
    v.merges = {"a b", "ab"};
    EXPECT_TRUE(has(error(v), "merge 2 (\"ab\"): expected two tokens")) << error(v);
  }
  {
    ToyVocab v;
    v.tokens.clear();
    v.types.clear();
    EXPECT_FALSE(v.Build().ok());
  }
}

// ---- Loading files
// -------------------------------------------------------------------------------

std::string WriteTemp(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "gpt2_tokenizer_test_" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// A miniature encoder.json: the 256 byte tokens, "Ġt" (256) and <|endoftext|> (257).
std::string ToyEncoderJson(bool with_end_of_text = true) {
  std::string json = "{";
  for (int b = 0; b < 256; ++b) {
    std::string symbol = ByteSymbol(b);
    if (symbol == "\"" || symbol == "\\") symbol = "\\" + symbol;
    json += "\"" + symbol + "\": " + std::to_string(b) + ", ";
  }
  json += "\"\xC4\xA0t\": 256";
  if (with_end_of_text) json += ", \"<|endoftext|>\": 257";
  return json + "}";
}

TEST(Gpt2TokenizerLoadTest, LoadsEncoderJsonAndMerges) {
  const std::string encoder = WriteTemp("ok.json", ToyEncoderJson());
  const std::string merges = WriteTemp("ok.bpe", "#version: 0.2\n\xC4\xA0 t\n");
  auto t = Gpt2Tokenizer::LoadFiles(encoder, merges);
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(t->vocab_size(), 258);
  EXPECT_EQ(t->bos(), 257);
  EXPECT_EQ(t->eos(), 257);
  EXPECT_EQ(t->Encode(" t<|endoftext|>\"\\", false, true), (std::vector<int>{256, 257, '"', '\\'}));
}

TEST(Gpt2TokenizerLoadTest, ReportsWhatIsWrong) {
  const std::string encoder = WriteTemp("good.json", ToyEncoderJson());
  const std::string merges = WriteTemp("good.bpe", "#version: 0.2\n\xC4\xA0 t\n");
  const auto load_error = [](const std::string& json, const std::string& bpe) {
    auto t = Gpt2Tokenizer::LoadFiles(json, bpe);
    return t.ok() ? std::string("(loaded)") : t.message();
  };
  const auto expect_error = [&](const std::string& json, const std::string& bpe,
                                const std::vector<std::string>& parts) {
    const std::string message = load_error(json, bpe);
    for (const std::string& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "\"" << part << "\" not in: " << message;
    }
  };
  expect_error("/nonexistent/encoder.json", merges, {"/nonexistent/encoder.json", "cannot open"});
  expect_error(encoder, "/nonexistent/vocab.bpe", {"/nonexistent/vocab.bpe", "cannot open"});
  const std::string truncated = WriteTemp("truncated.json", "{\"a\": 0,\n \"b\": ");
  expect_error(truncated, merges, {truncated + ": not valid JSON", "line 2"});
  expect_error(WriteTemp("array.json", "[1, 2]"), merges, {"expected a JSON object", "array"});
  expect_error(WriteTemp("string_id.json", "{\"a\": \"x\"}"), merges,
               {"token \"a\" has id \"x\"", "0..0"});
  expect_error(WriteTemp("gap.json", "{\"a\": 0, \"b\": 5}"), merges,
               {"token \"b\" has id 5; ids must be the integers 0..1"});
  expect_error(WriteTemp("duplicate.json", "{\"a\": 0, \"b\": 0}"), merges,
               {"tokens \"a\" and \"b\" both have id 0"});
  expect_error(WriteTemp("no_eot.json", ToyEncoderJson(false)), merges, {"no <|endoftext|> token"});
  const std::string bad_line = WriteTemp("bad_line.bpe", "#version: 0.2\n\xC4\xA0t\n");
  expect_error(encoder, bad_line, {bad_line + ":2: expected a merge \"a b\""});
  expect_error(encoder, WriteTemp("unknown.bpe", "#version: 0.2\nt \xC4\xA0\n"),
               {encoder, "merge 1 (\"t \xC4\xA0\"): \"t\xC4\xA0\" is not in the vocabulary"});
}

}  // namespace
}  // namespace llms::engine
