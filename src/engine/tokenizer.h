// Tokenizer: text <-> token ids, the interface the engine and the server use whatever the model's
// vocabulary kind (SentencePiece-style BPE here; GPT-2 byte-level BPE to follow). Implementations
// are immutable after loading and safe to share across threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace llms::engine {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // `parse_special`: special tokens (control and user-defined ones) written in `text` become those
  // tokens; otherwise all text is ordinary text, so a prompt cannot inject control tokens. Callers
  // ask for it only for text they wrote (a chat template's markers), as llama.cpp's server does.
  virtual std::vector<int> Encode(std::string_view text, bool add_bos,
                                  bool parse_special = false) const = 0;
  // Whether Encode can parse special tokens at all (SentencePiece vocabularies here never do).
  virtual bool ParsesSpecialTokens() const { return false; }
  // The bytes `token` contributes to the text when it follows `prev` (pieces may be partial UTF-8
  // sequences; Utf8Stream assembles them).
  virtual std::string DecodePiece(int prev, int token) const = 0;
  virtual int vocab_size() const = 0;
  virtual int bos() const = 0;
  virtual int eos() const = 0;
  // Whether prompts start with BOS (GGUF `tokenizer.ggml.add_bos_token`: Llama yes, Qwen2 no).
  bool add_bos() const { return add_bos_; }
  void set_add_bos(bool add) { add_bos_ = add; }

 private:
  bool add_bos_ = true;
};

// Buffers decoded bytes and releases only complete UTF-8 sequences, so text streams out piece by
// piece without ever emitting half a character. Invalid bytes are replaced by U+FFFD.
class Utf8Stream {
 public:
  // Appends bytes; returns the longest prefix of complete, valid UTF-8 now available.
  std::string Push(std::string_view bytes);
  // Whatever is left (an incomplete sequence at the end becomes U+FFFD).
  std::string Flush();

 private:
  std::string pending_;
};

}  // namespace llms::engine
