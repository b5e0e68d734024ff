// SentencePieceTokenizer implementation (follows llama2.c's encode/decode exactly).
#include "engine/sentencepiece_tokenizer.h"

#include <cstring>

#include <fmt/format.h>

#include "core/mapped_file.h"
#include "engine/bpe_merge.h"

namespace llms::engine {

namespace {
// The byte a piece "<0xHH>" stands for (two hex digits exactly), or -1.
int BytePiece(std::string_view p) {
  if (p.size() != 6 || p.substr(0, 3) != "<0x" || p[5] != '>') return -1;
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const int hi = hex(p[3]), lo = hex(p[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}
}  // namespace

SentencePieceTokenizer SentencePieceTokenizer::FromPieces(std::vector<std::string> pieces,
                                                          std::vector<float> scores, int bos,
                                                          int eos) {
  SentencePieceTokenizer t;
  t.pieces_ = std::move(pieces);
  t.scores_ = std::move(scores);
  t.bos_ = bos;
  t.eos_ = eos;
  t.byte_piece_.assign(256, -1);
  for (size_t i = 0; i < t.pieces_.size(); ++i) {
    t.index_.emplace(t.pieces_[i], static_cast<int>(i));  // first occurrence wins, as bsearch would
    const int byte = BytePiece(t.pieces_[i]);
    if (byte >= 0 && t.byte_piece_[static_cast<size_t>(byte)] < 0) {
      t.byte_piece_[static_cast<size_t>(byte)] = static_cast<int>(i);
    }
  }
  return t;
}

Result<SentencePieceTokenizer> SentencePieceTokenizer::LoadLlama2c(const std::string& path,
                                                                   int vocab_size) {
  auto data = ReadFileToString(path);
  if (!data.ok()) return data.status();
  const std::string& b = *data;
  size_t pos = 0;
  auto read = [&](void* dst, size_t n) {
    if (pos + n > b.size()) return false;
    std::memcpy(dst, b.data() + pos, n);
    pos += n;
    return true;
  };
  int32_t max_len = 0;
  if (!read(&max_len, 4) || max_len <= 0 || max_len > 1 << 16) {
    return Result<SentencePieceTokenizer>::Error(
        path + ": not a llama2.c tokenizer (bad max_token_length header)");
  }
  std::vector<std::string> pieces(static_cast<size_t>(vocab_size));
  std::vector<float> scores(static_cast<size_t>(vocab_size));
  for (int i = 0; i < vocab_size; ++i) {
    int32_t len = 0;
    if (!read(&scores[static_cast<size_t>(i)], 4) || !read(&len, 4) || len < 0 || len > max_len) {
      return Result<SentencePieceTokenizer>::Error(
          fmt::format("{}: token {} of {}: truncated or invalid length (does the tokenizer match "
                      "the model's vocabulary size?)",
                      path, i, vocab_size));
    }
    pieces[static_cast<size_t>(i)].resize(static_cast<size_t>(len));
    if (!read(pieces[static_cast<size_t>(i)].data(), static_cast<size_t>(len))) {
      return Result<SentencePieceTokenizer>::Error(
          fmt::format("{}: token {}: truncated piece", path, i));
    }
  }
  if (pos != b.size()) {
    return Result<SentencePieceTokenizer>::Error(
        fmt::format("{}: {} bytes left after {} tokens: the tokenizer does not match the model's "
                    "vocabulary size",
                    path, b.size() - pos, vocab_size));
  }
  return FromPieces(std::move(pieces), std::move(scores), 1, 2);
}

int SentencePieceTokenizer::Lookup(std::string_view s) const {
  auto it = index_.find(std::string(s));
  return it == index_.end() ? -1 : it->second;
}

std::vector<int> SentencePieceTokenizer::CodePointPieces(std::string_view text,
                                                         bool add_bos) const {
  std::vector<int> tokens;
  if (add_bos) tokens.push_back(bos_);
  if (!text.empty()) {
    const int space = Lookup(" ");
    if (space >= 0) tokens.push_back(space);
  }
  // Code points: a lead byte and up to three continuation bytes.
  for (size_t i = 0; i < text.size();) {
    size_t n = 1;
    while (i + n < text.size() && n < 4 && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80)
      ++n;
    const int id = Lookup(text.substr(i, n));
    if (id >= 0) {
      tokens.push_back(id);
    } else {
      for (size_t k = 0; k < n; ++k) {
        const int b = byte_piece_[static_cast<unsigned char>(text[i + k])];
        tokens.push_back(b >= 0 ? b : 0);  // <unk> when the vocabulary has no byte fallback
      }
    }
    i += n;
  }
  return tokens;
}

std::vector<int> SentencePieceTokenizer::Encode(std::string_view text, bool add_bos,
                                                bool /*parse_special*/) const {
  std::vector<int> tokens = CodePointPieces(text, add_bos);
  // Merge the best-scoring adjacent pair until no pair forms a vocabulary piece (BOS included, as
  // llama2.c does; "<s>" never forms a piece with its neighbour), leftmost among equal scores: the
  // order of llama2.c's rescanning loop, without its quadratic cost (bpe_merge.h).
  std::string merged;
  MergeByRank(tokens, [&](int left, int right) -> std::optional<MergeCandidate> {
    merged = pieces_[static_cast<size_t>(left)];
    merged += pieces_[static_cast<size_t>(right)];
    const int id = Lookup(merged);
    if (id < 0) return std::nullopt;
    return MergeCandidate{-static_cast<double>(scores_[static_cast<size_t>(id)]), id};
  });
  return tokens;
}

std::string SentencePieceTokenizer::DecodePiece(int prev, int token) const {
  if (token < 0 || token >= vocab_size()) return "";
  std::string_view p = pieces_[static_cast<size_t>(token)];
  if (prev == bos_ && !p.empty() && p[0] == ' ') p.remove_prefix(1);
  if (const int byte = BytePiece(p); byte >= 0) return std::string(1, static_cast<char>(byte));
  return std::string(p);
}

}  // namespace llms::engine
