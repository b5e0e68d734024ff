// Gpt2Tokenizer implementation: loading, the byte-to-unicode table, the three hand-written split
// regexes, and BPE merging with a priority queue (O(n log n) in the pre-token's length).
#include "engine/gpt2_tokenizer.h"

#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/format.h>
#include <unicode/uchar.h>
#include <nlohmann/json.hpp>

#include "core/mapped_file.h"
#include "engine/bpe_merge.h"

namespace llms::engine {

namespace {

// OpenAI's bytes_to_unicode(): the code point that stands for each byte in vocabulary strings.
// Printable Latin-1 bytes stand for themselves; the other 68 (controls, space, DEL, NBSP, soft
// hyphen) for U+0100.. in byte order, so that no token string contains whitespace or controls.
struct ByteTable {
  static constexpr int kCodePoints = 256 + 68;
  std::array<char32_t, 256> code_point{};
  std::array<int, kCodePoints> byte{};  // inverse; -1 for code points no byte stands for
};

const ByteTable& Bytes() {
  static const ByteTable table = [] {
    ByteTable t;
    t.byte.fill(-1);
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      t.code_point[static_cast<size_t>(b)] = printable ? static_cast<char32_t>(b) : next++;
      t.byte[t.code_point[static_cast<size_t>(b)]] = b;
    }
    return t;
  }();
  return table;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string ToVocabForm(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) AppendUtf8(out, Bytes().code_point[static_cast<unsigned char>(c)]);
  return out;
}

// A byte that does not start a valid UTF-8 sequence decodes to this, one byte long.
constexpr char32_t kInvalid = 0xFFFFFFFF;

// Decodes the code point at s[pos] into `cp`; returns its length in bytes. Overlong forms,
// surrogates and truncated sequences are invalid.
size_t DecodeUtf8(std::string_view s, size_t pos, char32_t& cp) {
  const auto at = [&](size_t k) { return static_cast<unsigned char>(s[pos + k]); };
  const unsigned char c = at(0);
  cp = kInvalid;
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  if (pos + n > s.size() || at(1) < lo || at(1) > hi) return 1;
  char32_t value = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((at(k) & 0xC0) != 0x80) return 1;
    value = (value << 6) | (at(k) & 0x3F);
  }
  cp = value;
  return n;
}

// ---- Pre-tokenization ------------------------------------------------------------------------

enum class CharClass : uint8_t { kLetter, kNumber, kSpace, kOther };

struct Char {
  size_t offset;  // in bytes
  char32_t cp;    // kInvalid for a stray byte
  CharClass cls;
};

CharClass Classify(char32_t cp) {
  if (cp < 0x80) {  // fast path; agrees with ICU
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return CharClass::kLetter;
    if (cp >= '0' && cp <= '9') return CharClass::kNumber;
    if (cp == ' ' || (cp >= '\t' && cp <= '\r')) return CharClass::kSpace;
    return CharClass::kOther;
  }
  if (cp == kInvalid) return CharClass::kOther;
  const auto c = static_cast<UChar32>(cp);
  const uint32_t mask = U_GET_GC_MASK(c);
  if (mask & U_GC_L_MASK) return CharClass::kLetter;
  if (mask & U_GC_N_MASK) return CharClass::kNumber;
  if (u_isUWhiteSpace(c)) return CharClass::kSpace;
  return CharClass::kOther;
}

// The characters of one special-token-free stretch of text, and the match rules over them. Each
// Match* returns the end (exclusive, in characters) of the pre-token starting at character i,
// exactly as the first matching alternative of the regex (with backtracking) would.
class Splitter {
 public:
  explicit Splitter(std::string_view text) : text_(text) {
    for (size_t pos = 0; pos < text.size();) {
      char32_t cp = 0;
      const size_t len = DecodeUtf8(text, pos, cp);
      chars_.push_back({pos, cp, Classify(cp)});
      pos += len;
    }
    n_ = chars_.size();
  }

  std::vector<std::string_view> Split(PreTokenizer pre) const {
    if (pre == PreTokenizer::kDefault) return SplitDefault();
    std::vector<std::string_view> out;
    for (size_t i = 0; i < n_;) {
      const size_t end = pre == PreTokenizer::kGpt2
                             ? MatchGpt2(i)
                             : MatchLlama3(i, pre == PreTokenizer::kLlama3 ? 3 : 1);
      const size_t begin_byte = chars_[i].offset;
      const size_t end_byte = end < n_ ? chars_[end].offset : text_.size();
      out.push_back(text_.substr(begin_byte, end_byte - begin_byte));
      i = end;
    }
    return out;
  }

 private:
  bool Is(size_t i, CharClass cls) const { return i < n_ && chars_[i].cls == cls; }
  bool IsCp(size_t i, char32_t cp) const { return i < n_ && chars_[i].cp == cp; }
  bool IsNewline(size_t i) const { return IsCp(i, '\r') || IsCp(i, '\n'); }
  size_t Run(size_t i, CharClass cls) const {
    while (Is(i, cls)) ++i;
    return i;
  }
  // Whether character i is `lower` under the regex's simple case folding (ASCII, plus U+017F
  // LATIN SMALL LETTER LONG S, which folds to 's').
  bool IsFolded(size_t i, char lower, bool ignore_case) const {
    if (i >= n_) return false;
    const char32_t cp = chars_[i].cp;
    if (cp == static_cast<char32_t>(lower)) return true;
    if (!ignore_case) return false;
    return cp == static_cast<char32_t>(lower - 'a' + 'A') || (lower == 's' && cp == 0x17F);
  }
  // 's|'t|'re|'ve|'m|'ll|'d, optionally case-insensitive; 0 when none matches at i.
  size_t MatchContraction(size_t i, bool ignore_case) const {
    if (!IsCp(i, '\'')) return 0;
    for (char c : {'s', 't', 'm', 'd'}) {
      if (IsFolded(i + 1, c, ignore_case)) return i + 2;
    }
    for (const char* pair : {"re", "ve", "ll"}) {
      if (IsFolded(i + 1, pair[0], ignore_case) && IsFolded(i + 2, pair[1], ignore_case)) {
        return i + 3;
      }
    }
    return 0;
  }
  // \s+(?!\S)|\s+ from a space at i: a run of spaces followed by a non-space gives back its last
  // character (which then starts the next pre-token, e.g. " world"), unless that is all it has.
  size_t MatchSpaces(size_t i) const {
    const size_t end = Run(i, CharClass::kSpace);
    return end < n_ && end - i >= 2 ? end - 1 : end;
  }

  // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  size_t MatchGpt2(size_t i) const {
    if (const size_t end = MatchContraction(i, /*ignore_case=*/false)) return end;
    // The optional space of the next three alternatives joins whatever non-space follows it.
    const size_t start = IsCp(i, ' ') && i + 1 < n_ && !Is(i + 1, CharClass::kSpace) ? i + 1 : i;
    const CharClass cls = chars_[start].cls;
    if (cls != CharClass::kSpace) return Run(start, cls);
    return MatchSpaces(i);
  }

  // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max_digits}
  // | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  size_t MatchLlama3(size_t i, size_t max_digits) const {
    if (const size_t end = MatchContraction(i, /*ignore_case=*/true)) return end;
    const CharClass cls = chars_[i].cls;
    if (cls == CharClass::kLetter) return Run(i, CharClass::kLetter);
    if (cls != CharClass::kNumber && !IsNewline(i) && Is(i + 1, CharClass::kLetter)) {
      return Run(i + 1, CharClass::kLetter);
    }
    if (cls == CharClass::kNumber) {
      size_t end = i + 1;
      while (end - i < max_digits && Is(end, CharClass::kNumber)) ++end;
      return end;
    }
    const size_t start = IsCp(i, ' ') && Is(i + 1, CharClass::kOther) ? i + 1 : i;
    if (Is(start, CharClass::kOther)) {
      size_t end = Run(start, CharClass::kOther);
      while (IsNewline(end)) ++end;
      return end;
    }
    // A run of spaces: up to its last \r or \n if it has one, else as in GPT-2.
    const size_t end = Run(i, CharClass::kSpace);
    for (size_t k = end; k > i; --k) {
      if (IsNewline(k - 1)) return k;
    }
    return MatchSpaces(i);
  }

  // llama.cpp's `default` regexes. Pass 1 (punctuation runs) here; each piece then through the
  // GPT-2 regex in a splitter of its own (the regex sees the piece's end as the text's end), and
  // its pre-tokens through passes 3 and 4.
  std::vector<std::string_view> SplitDefault() const {
    std::vector<std::string_view> out;
    for (size_t i = 0; i < n_;) {
      const bool punct = IsDefaultPunct(chars_[i].cp);
      size_t end = i + 1;
      while (end < n_ && IsDefaultPunct(chars_[end].cp) == punct) ++end;
      for (std::string_view token : Splitter(Bytes(i, end)).Split(PreTokenizer::kGpt2)) {
        Splitter(token).SplitDigits(out);
      }
      i = end;
    }
    return out;
  }
  // [\p{P}\$\+<=>\^~\|]: ASCII punctuation as llama.cpp collapses it (!"#%&'()*,-./:;?@[\]_{})
  // and $+<=>^~|; above ASCII, Unicode's punctuation categories.
  static bool IsDefaultPunct(char32_t cp) {
    if (cp < 0x80) {
      return std::string_view("!\"#%&'()*,-./:;?@[\\]_{}$+<=>^~|").find(static_cast<char>(cp)) !=
             std::string_view::npos;
    }
    return cp != kInvalid && (U_GET_GC_MASK(static_cast<UChar32>(cp)) & U_GC_P_MASK) != 0;
  }
  // Passes 3 and 4 over one pre-token: runs of \p{N} apart from the rest, and in each piece
  // three ASCII digits at a time from the left.
  void SplitDigits(std::vector<std::string_view>& out) const {
    for (size_t i = 0; i < n_;) {
      const bool number = Is(i, CharClass::kNumber);
      size_t end = i + 1;
      while (end < n_ && Is(end, CharClass::kNumber) == number) ++end;
      size_t from = i;
      for (size_t k = i; number && k + 3 <= end;) {
        if (IsAsciiDigit(k) && IsAsciiDigit(k + 1) && IsAsciiDigit(k + 2)) {
          if (from < k) out.push_back(Bytes(from, k));
          out.push_back(Bytes(k, k + 3));
          from = k += 3;
        } else {
          ++k;
        }
      }
      if (from < end) out.push_back(Bytes(from, end));
      i = end;
    }
  }
  bool IsAsciiDigit(size_t i) const { return chars_[i].cp >= '0' && chars_[i].cp <= '9'; }
  // Characters [i, end) as bytes of the text.
  std::string_view Bytes(size_t i, size_t end) const {
    const size_t b = chars_[i].offset, e = end < n_ ? chars_[end].offset : text_.size();
    return text_.substr(b, e - b);
  }

  std::string_view text_;
  std::vector<Char> chars_;
  size_t n_ = 0;
};

uint64_t PairKey(int left, int right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

constexpr std::string_view kEndOfText = "<|endoftext|>";

}  // namespace

// ---- Construction ------------------------------------------------------------------------------

Result<Gpt2Tokenizer> Gpt2Tokenizer::FromVocab(std::vector<std::string> tokens,
                                               const std::vector<std::string>& merges,
                                               std::vector<int> token_types, PreTokenizer pre,
                                               int bos, int eos) {
  using R = Result<Gpt2Tokenizer>;
  const size_t n = tokens.size();
  if (n > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return R::Error(fmt::format("{} tokens: too many for 32-bit token ids", n));
  }
  if (!token_types.empty() && token_types.size() != n) {
    return R::Error(fmt::format("{} token types for {} tokens: give one type per token, or none",
                                token_types.size(), n));
  }
  for (int id : {bos, eos}) {
    if (id < 0 || static_cast<size_t>(id) >= n) {
      return R::Error(
          fmt::format("BOS/EOS id {} is not a token id (the vocabulary has {} tokens)", id, n));
    }
  }
  Gpt2Tokenizer t;
  t.pre_ = pre;
  t.bos_ = bos;
  t.eos_ = eos;
  t.special_.assign(n, false);
  for (size_t i = 0; i < token_types.size(); ++i) {
    const int type = token_types[i];
    if (type < 0 || type > 6) {
      return R::Error(fmt::format(
          "token {} (\"{}\"): token type {} is not a GGUF token type (0 undefined .. 6 byte); is "
          "tokenizer.ggml.token_type from another file?",
          i, tokens[i], type));
    }
    // Empty specials would match everywhere; they stay ordinary (and unreachable).
    t.special_[i] = (type == 3 || type == 4) && !tokens[i].empty();
  }
  t.index_.reserve(n);
  for (size_t i = 0; i < n; ++i) t.index_.emplace(tokens[i], static_cast<int>(i));

  const ByteTable& table = Bytes();
  for (int b = 0; b < 256; ++b) {
    std::string symbol;
    AppendUtf8(symbol, table.code_point[static_cast<size_t>(b)]);
    const auto it = t.index_.find(symbol);
    if (it == t.index_.end() || t.special_[static_cast<size_t>(it->second)]) {
      return R::Error(fmt::format(
          "the vocabulary has no token \"{}\" for byte 0x{:02X}: a byte-level BPE (GPT-2 style) "
          "vocabulary has all 256; is this really a `gpt2` tokenizer?",
          symbol, b));
    }
    t.byte_token_[static_cast<size_t>(b)] = it->second;
  }

  // What each token decodes to. A code point no byte stands for cannot come from encoding; such a
  // token decodes to that code point's own UTF-8, as llama.cpp would show it.
  t.decoded_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const std::string& s = tokens[i];
    if (t.special_[i]) {
      t.decoded_[i] = s;
      continue;
    }
    for (size_t pos = 0; pos < s.size();) {
      char32_t cp = 0;
      const size_t len = DecodeUtf8(s, pos, cp);
      if (cp < static_cast<char32_t>(ByteTable::kCodePoints) && table.byte[cp] >= 0) {
        t.decoded_[i] += static_cast<char>(table.byte[cp]);
      } else {
        t.decoded_[i].append(s, pos, len);
      }
      pos += len;
    }
  }

  t.merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string& m = merges[rank];
    // The first part may itself be a space in non-byte-level vocabularies; split after it.
    const size_t sep = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
    if (sep == std::string::npos || sep + 1 >= m.size()) {
      return R::Error(
          fmt::format("merge {} (\"{}\"): expected two tokens separated by a space, as in \"Ġ t\"",
                      rank + 1, m));
    }
    const std::string left = m.substr(0, sep), right = m.substr(sep + 1), merged = left + right;
    int ids[3] = {};
    int k = 0;
    for (const std::string* part : {&left, &right, &merged}) {
      const auto it = t.index_.find(*part);
      if (it == t.index_.end()) {
        return R::Error(fmt::format(
            "merge {} (\"{}\"): \"{}\" is not in the vocabulary; the merges and the tokens must "
            "come from the same tokenizer",
            rank + 1, m, *part));
      }
      ids[k++] = it->second;
    }
    // A repeated pair keeps its first (best) rank.
    t.merges_.emplace(PairKey(ids[0], ids[1]), Merge{static_cast<int>(rank), ids[2]});
  }

  for (size_t i = 0; i < n; ++i) {
    if (t.special_[i]) {
      t.specials_by_first_byte_[static_cast<unsigned char>(tokens[i][0])].push_back(
          static_cast<int>(i));
    }
  }
  for (auto& ids : t.specials_by_first_byte_) {
    std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) {
      return tokens[static_cast<size_t>(a)].size() > tokens[static_cast<size_t>(b)].size();
    });
  }
  t.tokens_ = std::move(tokens);
  return t;
}

Result<Gpt2Tokenizer> Gpt2Tokenizer::LoadFiles(const std::string& encoder_json,
                                               const std::string& vocab_bpe) {
  using R = Result<Gpt2Tokenizer>;
  auto json_text = ReadFileToString(encoder_json);
  if (!json_text.ok()) return json_text.status();
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(*json_text);
  } catch (const nlohmann::json::parse_error& e) {
    std::string_view what = e.what();  // "[json.exception.parse_error.101] parse error at ..."
    if (const size_t bracket = what.find("] "); bracket != std::string_view::npos) {
      what.remove_prefix(bracket + 2);
    }
    return R::Error(fmt::format("{}: not valid JSON: {}", encoder_json, what));
  }
  if (!json.is_object()) {
    return R::Error(fmt::format(
        "{}: expected a JSON object mapping token strings to ids (GPT-2's encoder.json), found {}",
        encoder_json, json.type_name()));
  }
  const size_t n = json.size();
  std::vector<std::string> tokens(n);
  std::vector<bool> seen(n, false);
  for (const auto& [key, value] : json.items()) {
    if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
        value.get<int64_t>() >= static_cast<int64_t>(n)) {
      return R::Error(
          fmt::format("{}: token \"{}\" has id {}; ids must be the integers 0..{}, one per token",
                      encoder_json, key, value.dump(), n - 1));
    }
    const auto id = static_cast<size_t>(value.get<int64_t>());
    if (seen[id]) {
      return R::Error(fmt::format("{}: tokens \"{}\" and \"{}\" both have id {}", encoder_json,
                                  tokens[id], key, id));
    }
    seen[id] = true;
    tokens[id] = key;
  }

  auto bpe_text = ReadFileToString(vocab_bpe);
  if (!bpe_text.ok()) return bpe_text.status();
  std::vector<std::string> merges;
  std::string_view rest = *bpe_text;
  for (int line_no = 1; !rest.empty(); ++line_no) {
    const size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.starts_with("#version")) continue;
    const size_t sep = line.find(' ');
    if (sep == 0 || sep == std::string_view::npos || sep + 1 == line.size() ||
        line.find(' ', sep + 1) != std::string_view::npos) {
      return R::Error(fmt::format(
          "{}:{}: expected a merge \"a b\" (two tokens separated by one space), found \"{}\"",
          vocab_bpe, line_no, line));
    }
    merges.emplace_back(line);
  }

  std::vector<int> types(n, 1);
  int end_of_text = -1;
  for (size_t i = 0; i < n; ++i) {
    if (tokens[i] == kEndOfText) {
      end_of_text = static_cast<int>(i);
      types[i] = 3;
    }
  }
  if (end_of_text < 0) {
    return R::Error(
        fmt::format("{}: no {} token, which GPT-2 uses as BOS and EOS; is this GPT-2's "
                    "encoder.json?",
                    encoder_json, kEndOfText));
  }
  auto t = FromVocab(std::move(tokens), merges, std::move(types), PreTokenizer::kGpt2, end_of_text,
                     end_of_text);
  if (!t.ok()) return t.status().WithContext(encoder_json + " with " + vocab_bpe);
  return t;
}

Result<PreTokenizer> Gpt2Tokenizer::PreTokenizerFromName(std::string_view gguf_pre) {
  struct Name {
    std::string_view name;
    PreTokenizer pre;
  };
  static constexpr Name kNames[] = {
      {"gpt-2", PreTokenizer::kGpt2},      {"default", PreTokenizer::kDefault},
      {"llama3", PreTokenizer::kLlama3},   {"llama-bpe", PreTokenizer::kLlama3},
      {"llama-v3", PreTokenizer::kLlama3}, {"qwen2", PreTokenizer::kQwen2},
  };
  std::string supported;
  for (const Name& n : kNames) {
    if (n.name == gguf_pre) return n.pre;
    supported += supported.empty() ? "" : ", ";
    supported += n.name;
  }
  return Result<PreTokenizer>::Error(fmt::format(
      "unsupported pre-tokenizer \"{}\" (GGUF tokenizer.ggml.pre); supported: {}. Another model's "
      "split regex has to be added to Gpt2Tokenizer before it can be served",
      gguf_pre, supported));
}

// ---- Encoding and decoding ---------------------------------------------------------------------

std::vector<std::string_view> Gpt2Tokenizer::PreTokenize(std::string_view text, PreTokenizer pre) {
  return Splitter(text).Split(pre);
}

int Gpt2Tokenizer::MatchSpecial(std::string_view text, size_t pos) const {
  for (int id : specials_by_first_byte_[static_cast<unsigned char>(text[pos])]) {
    if (text.substr(pos).starts_with(tokens_[static_cast<size_t>(id)])) return id;
  }
  return -1;
}

std::vector<int> Gpt2Tokenizer::Encode(std::string_view text, bool add_bos,
                                       bool parse_special) const {
  std::vector<int> ids;
  if (add_bos) ids.push_back(bos_);
  if (!parse_special) {
    EncodeOrdinary(text, ids);
    return ids;
  }
  size_t start = 0;  // where the text not yet encoded begins
  for (size_t pos = 0; pos < text.size();) {
    const int special = MatchSpecial(text, pos);
    if (special < 0) {
      ++pos;
      continue;
    }
    EncodeOrdinary(text.substr(start, pos - start), ids);
    ids.push_back(special);
    pos += tokens_[static_cast<size_t>(special)].size();
    start = pos;
  }
  EncodeOrdinary(text.substr(start), ids);
  return ids;
}

void Gpt2Tokenizer::EncodeOrdinary(std::string_view text, std::vector<int>& ids) const {
  if (text.empty()) return;
  for (std::string_view piece : PreTokenize(text, pre_)) EncodePreToken(piece, ids);
}

void Gpt2Tokenizer::EncodePreToken(std::string_view bytes, std::vector<int>& ids) const {
  const size_t n = bytes.size();
  if (n == 1) {
    ids.push_back(byte_token_[static_cast<unsigned char>(bytes[0])]);
    return;
  }
  if (pre_ == PreTokenizer::kLlama3) {
    const auto it = index_.find(ToVocabForm(bytes));
    if (it != index_.end() && !special_[static_cast<size_t>(it->second)]) {
      ids.push_back(it->second);
      return;
    }
  }
  std::vector<int> symbols(n);
  for (size_t i = 0; i < n; ++i) symbols[i] = byte_token_[static_cast<unsigned char>(bytes[i])];
  MergeByRank(symbols, [&](int left, int right) -> std::optional<MergeCandidate> {
    const auto it = merges_.find(PairKey(left, right));
    if (it == merges_.end()) return std::nullopt;
    return MergeCandidate{static_cast<double>(it->second.rank), it->second.result};
  });
  ids.insert(ids.end(), symbols.begin(), symbols.end());
}

std::string Gpt2Tokenizer::DecodePiece(int /*prev*/, int token) const {
  if (token < 0 || token >= vocab_size()) return "";
  return decoded_[static_cast<size_t>(token)];
}

}  // namespace llms::engine
