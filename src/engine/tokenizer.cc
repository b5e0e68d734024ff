// Utf8Stream implementation.
#include "engine/tokenizer.h"

namespace llms::engine {

namespace {
// Length of the UTF-8 sequence a lead byte starts; 0 for a byte that cannot start one.
int SequenceLength(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return c >= 0xC2 ? 2 : 0;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return c <= 0xF4 ? 4 : 0;
  return 0;
}
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
}  // namespace

std::string Utf8Stream::Push(std::string_view bytes) {
  pending_.append(bytes);
  std::string out;
  size_t i = 0;
  while (i < pending_.size()) {
    const unsigned char c = static_cast<unsigned char>(pending_[i]);
    const int n = SequenceLength(c);
    if (n == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (i + static_cast<size_t>(n) > pending_.size()) break;  // wait for the rest
    bool valid = true;
    for (int k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(pending_[i + static_cast<size_t>(k)]) & 0xC0) != 0x80)
        valid = false;
    }
    if (!valid) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(pending_, i, static_cast<size_t>(n));
    i += static_cast<size_t>(n);
  }
  pending_.erase(0, i);
  return out;
}

std::string Utf8Stream::Flush() {
  std::string out;
  if (!pending_.empty()) out = std::string(kReplacement);
  pending_.clear();
  return out;
}

}  // namespace llms::engine
