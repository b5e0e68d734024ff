// ParsePyDictLiteral: hand-written scanner (this is on the data-loading hot path).
#include "servegen/py_dict_literal.h"

#include <charconv>

#include <fmt/format.h>

namespace llms::servegen {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

Result<std::vector<std::pair<double, double>>> ParsePyDictLiteral(std::string_view text) {
  using R = Result<std::vector<std::pair<double, double>>>;
  std::vector<std::pair<double, double>> out;
  size_t i = 0;
  const size_t n = text.size();
  auto skip = [&] {
    while (i < n && IsSpace(text[i])) ++i;
  };
  auto error = [&](const char* what) {
    std::string near(text.substr(i, 20));
    return R::Error(fmt::format("column {}: {} (near \"{}\")", i + 1, what, near));
  };
  auto number = [&](double& value) -> bool {
    size_t start = i;
    if (i < n && text[i] == '+') ++i;
    auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + n, value);
    if (ec != std::errc() || ptr == text.data() + i) {
      i = start;
      return false;
    }
    i = static_cast<size_t>(ptr - text.data());
    return true;
  };
  skip();
  if (i >= n || text[i] != '{') return error("expected '{' to open the dict");
  ++i;
  skip();
  if (i < n && text[i] == '}') {
    ++i;
  } else {
    out.reserve(n / 24);
    for (;;) {
      double key = 0, value = 0;
      skip();
      if (!number(key)) return error("expected a numeric key");
      skip();
      if (i >= n || text[i] != ':') return error("expected ':' after the key");
      ++i;
      skip();
      if (!number(value)) return error("expected a numeric value");
      out.emplace_back(key, value);
      skip();
      if (i < n && text[i] == ',') {
        ++i;
        skip();
        if (i < n && text[i] == '}') {
          ++i;
          break;
        }
        continue;
      }
      if (i < n && text[i] == '}') {
        ++i;
        break;
      }
      return error(i >= n ? "unexpected end: the dict is not closed with '}'"
                          : "expected ',' or '}'");
    }
  }
  skip();
  if (i != n) return error("unexpected text after the closing '}'");
  return out;
}

}  // namespace llms::servegen
