// SentencePieceTokenizer: SentencePiece-style BPE as llama2.c implements it, loaded from a
// llama2.c tokenizer file (int32 max_token_length, then per token: float32 score, int32 length,
// bytes). Encoding: optional BOS, a leading " " piece before non-empty text, each UTF-8 code point
// as its piece or as byte-fallback pieces <0xHH>, then repeated merges of the adjacent pair whose
// concatenation is the highest-scoring vocabulary piece. Ids: 0 <unk>, 1 <s>, 2 </s>.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "engine/tokenizer.h"

namespace llms::engine {

class SentencePieceTokenizer : public Tokenizer {
 public:
  // The file does not store the vocabulary size; it comes from the model.
  static Result<SentencePieceTokenizer> LoadLlama2c(const std::string& path, int vocab_size);
  // From pieces and scores directly (GGUF `tokenizer.ggml.model = llama`).
  static SentencePieceTokenizer FromPieces(std::vector<std::string> pieces,
                                           std::vector<float> scores, int bos, int eos);

  // `parse_special` is ignored: control tokens are never read from text.
  std::vector<int> Encode(std::string_view text, bool add_bos,
                          bool parse_special = false) const override;
  std::string DecodePiece(int prev, int token) const override;
  int vocab_size() const override { return static_cast<int>(pieces_.size()); }
  int bos() const override { return bos_; }
  int eos() const override { return eos_; }
  const std::string& piece(int id) const { return pieces_[static_cast<size_t>(id)]; }
  float score(int id) const { return scores_[static_cast<size_t>(id)]; }
  // The id of the piece spelled `s`, or -1.
  int Lookup(std::string_view s) const;
  // Encoding before any merge: optional BOS, the leading " ", then one piece per code point (or
  // its byte pieces).
  std::vector<int> CodePointPieces(std::string_view text, bool add_bos) const;

 private:
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::unordered_map<std::string, int> index_;
  std::vector<int> byte_piece_;  // id of <0xHH> for each byte, -1 if absent
  int bos_ = 1, eos_ = 2;
};

}  // namespace llms::engine
