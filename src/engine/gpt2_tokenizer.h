// Gpt2Tokenizer: byte-level BPE as OpenAI's GPT-2 encoder.py defines it, and as GGUF vocabularies
// with `tokenizer.ggml.model = gpt2` (GPT-2, Llama 3, Qwen2) use it. Encoding: special tokens are
// found verbatim in the text (leftmost, longest first) and emitted as their ids; the text between
// them is split into pre-tokens by the model's split regex (hand-written, one per PreTokenizer);
// each pre-token's UTF-8 bytes become the printable code points of GPT-2's bytes_to_unicode table
// and are merged pairwise, the lowest-ranked merge first (leftmost on ties), until no merge
// applies. Decoding maps a token's code points back to bytes.
//
// Regex classes follow Python's `regex` module, which GPT-2's encoder.py uses: \p{L} and \p{N} are
// the Unicode general categories L* and N* (from ICU), and \s is the Unicode White_Space property
// (u_isUWhiteSpace: it excludes U+001C..U+001F, which Python's str.isspace() includes). Bytes that
// are not valid UTF-8 each count as one character that is neither a letter, a number nor a space.
//
// Immutable after loading; safe to share across threads.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "engine/tokenizer.h"

namespace llms::engine {

// The split regex applied before BPE (GGUF `tokenizer.ggml.pre`):
//   kGpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   kLlama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
//            | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//            (and a pre-token that is itself a vocabulary token skips the merges, as Llama 3's
//            tiktoken-trained vocabulary expects: HF `ignore_merges`)
//   kQwen2:  as kLlama3 with \p{N} (one digit per pre-token) for \p{N}{1,3}, merges always applied.
//   kDefault: llama.cpp's rules for `default` (or no `tokenizer.ggml.pre`): four regexes, each
//            splitting the pieces of the one before: [\p{P}\$\+<=>\^~\|]+ (runs of punctuation,
//            the apostrophe included, and those ASCII symbols), then kGpt2's regex, then \p{N}+,
//            then [0-9][0-9][0-9] (ASCII digits in threes from the left).
enum class PreTokenizer { kGpt2, kLlama3, kQwen2, kDefault };

class Gpt2Tokenizer : public Tokenizer {
 public:
  // OpenAI's GPT-2 files: encoder.json maps vocabulary strings to ids 0..n-1; vocab.bpe has a
  // "#version" line, then one merge "a b" per line, ranked by order. <|endoftext|> is a special
  // token and both BOS and EOS.
  static Result<Gpt2Tokenizer> LoadFiles(const std::string& encoder_json,
                                         const std::string& vocab_bpe);
  // From GGUF arrays (`tokenizer.ggml.tokens`, `.merges`, `.token_type`). `tokens` are in the
  // byte-to-unicode form, except special tokens, which are plain text; `merges` are "a b" strings,
  // ranked by order. `token_types` are llama.cpp's (0 undefined, 1 normal, 2 unknown, 3 control,
  // 4 user-defined, 5 unused, 6 byte); types 3 and 4 are special: matched verbatim in the text and
  // decoded verbatim. Empty `token_types` means no special tokens. Fails when the vocabulary lacks
  // one of the 256 byte tokens, when a merge names a string that is not a token, or when bos/eos
  // are not token ids.
  static Result<Gpt2Tokenizer> FromVocab(std::vector<std::string> tokens,
                                         const std::vector<std::string>& merges,
                                         std::vector<int> token_types, PreTokenizer pre, int bos,
                                         int eos);
  // Maps a GGUF `tokenizer.ggml.pre` value as llama.cpp does: "gpt-2" to kGpt2; "llama3",
  // "llama-bpe" and "llama-v3" to kLlama3; "qwen2" to kQwen2; "default" (what a file without the
  // key gets) to kDefault. Any other value, "gpt2" included (llama.cpp refuses it too), is an
  // error naming it and the supported ones (guessing a split regex would tokenize silently wrong).
  static Result<PreTokenizer> PreTokenizerFromName(std::string_view gguf_pre);
  // Splits `text` (no special tokens) into pre-tokens: consecutive, non-empty views into `text`
  // that together cover it.
  static std::vector<std::string_view> PreTokenize(std::string_view text, PreTokenizer pre);

  std::vector<int> Encode(std::string_view text, bool add_bos,
                          bool parse_special = false) const override;
  bool ParsesSpecialTokens() const override { return true; }
  // The raw bytes of `token` (`prev` does not matter for byte-level BPE); "" for an id out of
  // range.
  std::string DecodePiece(int prev, int token) const override;
  int vocab_size() const override { return static_cast<int>(tokens_.size()); }
  int bos() const override { return bos_; }
  int eos() const override { return eos_; }
  PreTokenizer pre_tokenizer() const { return pre_; }
  // The vocabulary string of `id` (byte-to-unicode form; special tokens as plain text).
  const std::string& piece(int id) const { return tokens_[static_cast<size_t>(id)]; }
  bool is_special(int id) const { return special_[static_cast<size_t>(id)]; }

 private:
  Gpt2Tokenizer() = default;  // built only by LoadFiles and FromVocab
  struct Merge {
    int rank;
    int result;
  };
  // The special token starting at text[pos] (longest first), or -1.
  int MatchSpecial(std::string_view text, size_t pos) const;
  // Pre-tokenizes and BPE-encodes text that contains no special tokens.
  void EncodeOrdinary(std::string_view text, std::vector<int>& ids) const;
  void EncodePreToken(std::string_view bytes, std::vector<int>& ids) const;

  PreTokenizer pre_ = PreTokenizer::kGpt2;
  std::vector<std::string> tokens_;
  std::vector<std::string> decoded_;  // the bytes each token stands for
  std::vector<bool> special_;
  std::unordered_map<std::string, int> index_;  // vocabulary string -> id, first occurrence wins
  std::unordered_map<uint64_t, Merge> merges_;  // (left id << 32 | right id) -> its merge
  std::array<int, 256> byte_token_{};           // the token of each single byte
  std::array<std::vector<int>, 256> specials_by_first_byte_;  // longest first
  int bos_ = 0, eos_ = 0;
};

}  // namespace llms::engine
