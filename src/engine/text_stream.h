// TextStream: generated token ids turned into the text a client should see, one token at a time:
// each token's piece decoded with the tokenizer, UTF-8 assembled across pieces (never half a
// character), stop strings found and cut (the text before the earliest one is the answer), and
// text that could still be the start of a stop string held back until the next token decides.
// The one detokenize-and-stop loop of the project: `GenerateText` and the server both use it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer.h"

namespace llms::engine {

class TextStream {
 public:
  // `last_prompt_token` is the token the first generated one follows (tokenizers decode a piece
  // relative to its predecessor); empty stop strings are ignored.
  TextStream(const Tokenizer& tokenizer, int32_t last_prompt_token, std::vector<std::string> stop);

  // Adds the next generated token; returns the text now safe to emit (possibly empty). After a
  // stop string matched, stopped() is true and further tokens add nothing.
  std::string Push(int32_t token);
  // The end of the generation: whatever was held back (an incomplete character becomes U+FFFD).
  std::string Finish();
  bool stopped() const { return stopped_; }
  // The bytes `token` adds after `prev` (for logprobs' token texts).
  std::string Piece(int32_t prev, int32_t token) const {
    return tokenizer_.DecodePiece(prev, token);
  }
  int32_t last_token() const { return prev_; }

 private:
  std::string Release(bool final);

  const Tokenizer& tokenizer_;
  std::vector<std::string> stop_;
  Utf8Stream utf8_;
  std::string held_;
  int32_t prev_;
  bool stopped_ = false;
};

// Where the earliest stop string begins in `text`, or npos.
size_t FindStop(std::string_view text, const std::vector<std::string>& stop);
// How many trailing bytes of `text` could be the start of a stop string.
size_t StopPrefixHold(std::string_view text, const std::vector<std::string>& stop);

}  // namespace llms::engine
