// TextStream: detokenization with UTF-8 assembly and stop strings held back.
#include "engine/text_stream.h"

#include <algorithm>

namespace llms::engine {

TextStream::TextStream(const Tokenizer& tokenizer, int32_t last_prompt_token,
                       std::vector<std::string> stop)
    : tokenizer_(tokenizer), prev_(last_prompt_token) {
  for (std::string& s : stop) {
    if (!s.empty()) stop_.push_back(std::move(s));
  }
}

std::string TextStream::Push(int32_t token) {
  if (stopped_) return {};
  held_ += utf8_.Push(tokenizer_.DecodePiece(prev_, token));
  prev_ = token;
  return Release(false);
}

std::string TextStream::Finish() {
  if (stopped_) return {};
  held_ += utf8_.Flush();
  return Release(true);
}

std::string TextStream::Release(bool final) {
  std::string out;
  if (const size_t at = FindStop(held_, stop_); at != std::string::npos) {
    out = held_.substr(0, at);
    held_.clear();
    stopped_ = true;
    return out;
  }
  const size_t keep = final ? 0 : StopPrefixHold(held_, stop_);
  out = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return out;
}

size_t FindStop(std::string_view text, const std::vector<std::string>& stop) {
  size_t best = std::string_view::npos;
  for (const std::string& s : stop) best = std::min(best, text.find(s));
  return best;
}

size_t StopPrefixHold(std::string_view text, const std::vector<std::string>& stop) {
  size_t hold = 0;
  for (const std::string& s : stop) {
    for (size_t k = std::min(s.size() - 1, text.size()); k > hold; --k) {
      if (text.substr(text.size() - k) == std::string_view(s).substr(0, k)) {
        hold = k;
        break;
      }
    }
  }
  return hold;
}

}  // namespace llms::engine
