// Domain names: parsing, limits, relations and canonical order (see name.h).
#include "dns/name.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace llms::dns {

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string EscapeLabel(std::string_view label) {
  std::string out;
  for (const char ch : label) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f) {
      out += fmt::format("\\{:03d}", c);
    } else if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' || c == '@' ||
               c == '$') {
      out += '\\';
      out += ch;
    } else {
      out += ch;
    }
  }
  return out;
}

namespace {

Status CheckLimits(const std::vector<std::string>& labels) {
  size_t total = 1;
  for (const std::string& l : labels) {
    if (l.empty()) return Status::Error("empty label (two dots in a row, or a leading dot)");
    if (l.size() > kMaxLabelLength) {
      return Status::Error(fmt::format("label '{}' is {} octets; at most {}", EscapeLabel(l),
                                       l.size(), kMaxLabelLength));
    }
    total += 1 + l.size();
  }
  if (total > kMaxNameLength) {
    return Status::Error(
        fmt::format("name is {} octets on the wire; at most {}", total, kMaxNameLength));
  }
  return Status::Ok();
}

int CompareLabel(const std::string& a, const std::string& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    auto lower = [](char c) {
      auto u = static_cast<unsigned char>(c);
      return u >= 'A' && u <= 'Z' ? static_cast<unsigned char>(u - 'A' + 'a') : u;
    };
    const unsigned char x = lower(a[i]), y = lower(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

}  // namespace

Result<Name> Name::FromLabels(std::vector<std::string> labels) {
  if (Status s = CheckLimits(labels); !s.ok()) return s;
  return Name(std::move(labels));
}

Result<Name> Name::Parse(std::string_view text, const Name& origin) {
  if (text == "@") return origin;
  if (text.empty()) return Result<Name>::Error("empty name");
  if (text == ".") return Name();
  std::vector<std::string> labels;
  std::string label;
  bool absolute = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      if (i + 1 >= text.size()) {
        return Result<Name>::Error(fmt::format("'{}': a '\\' ends the name", text));
      }
      const char d = text[i + 1];
      if (d >= '0' && d <= '9') {
        if (i + 3 >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i + 2])) ||
            !std::isdigit(static_cast<unsigned char>(text[i + 3]))) {
          return Result<Name>::Error(
              fmt::format("'{}': '\\' and a digit must be followed by three digits (\\DDD)", text));
        }
        const int v = (d - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
        if (v > 255) {
          return Result<Name>::Error(
              fmt::format("'{}': \\{} is not an octet (0-255)", text, text.substr(i + 1, 3)));
        }
        label += static_cast<char>(v);
        i += 3;
      } else {
        label += d;
        i += 1;
      }
    } else if (c == '.') {
      if (label.empty()) {
        return Result<Name>::Error(fmt::format("'{}': empty label", text));
      }
      labels.push_back(std::move(label));
      label.clear();
      if (i + 1 == text.size()) absolute = true;
    } else {
      label += c;
    }
  }
  if (!label.empty()) labels.push_back(std::move(label));
  if (!absolute) labels.insert(labels.end(), origin.labels_.begin(), origin.labels_.end());
  if (Status s = CheckLimits(labels); !s.ok()) {
    return Result<Name>::Error(fmt::format("'{}': {}", text, s.message()));
  }
  return Name(std::move(labels));
}

size_t Name::wire_length() const {
  size_t n = 1;
  for (const std::string& l : labels_) n += 1 + l.size();
  return n;
}

std::string Name::ToString() const {
  if (labels_.empty()) return ".";
  std::string out;
  for (const std::string& l : labels_) {
    out += EscapeLabel(l);
    out += '.';
  }
  return out;
}

bool Name::IsSubdomainOf(const Name& ancestor) const {
  if (ancestor.labels_.size() > labels_.size()) return false;
  const size_t off = labels_.size() - ancestor.labels_.size();
  for (size_t i = 0; i < ancestor.labels_.size(); ++i) {
    if (CompareLabel(labels_[off + i], ancestor.labels_[i]) != 0) return false;
  }
  return true;
}

Name Name::Parent() const {
  if (labels_.empty()) return Name();
  return Name(std::vector<std::string>(labels_.begin() + 1, labels_.end()));
}

Name Name::Suffix(size_t n) const {
  n = std::min(n, labels_.size());
  return Name(
      std::vector<std::string>(labels_.end() - static_cast<std::ptrdiff_t>(n), labels_.end()));
}

Result<Name> Name::Prepend(std::string_view label) const {
  std::vector<std::string> labels{std::string(label)};
  labels.insert(labels.end(), labels_.begin(), labels_.end());
  return FromLabels(std::move(labels));
}

Result<Name> Name::ReplaceSuffix(const Name& owner, const Name& target) const {
  if (!IsSubdomainOf(owner)) {
    return Result<Name>::Error(ToString() + " is not at or below " + owner.ToString());
  }
  const size_t keep = labels_.size() - owner.labels_.size();
  std::vector<std::string> labels(labels_.begin(),
                                  labels_.begin() + static_cast<std::ptrdiff_t>(keep));
  labels.insert(labels.end(), target.labels_.begin(), target.labels_.end());
  return FromLabels(std::move(labels));
}

bool operator==(const Name& a, const Name& b) {
  if (a.labels_.size() != b.labels_.size()) return false;
  for (size_t i = 0; i < a.labels_.size(); ++i) {
    if (CompareLabel(a.labels_[i], b.labels_[i]) != 0) return false;
  }
  return true;
}

std::weak_ordering operator<=>(const Name& a, const Name& b) {
  auto ia = a.labels_.rbegin(), ib = b.labels_.rbegin();
  for (; ia != a.labels_.rend() && ib != b.labels_.rend(); ++ia, ++ib) {
    const int c = CompareLabel(*ia, *ib);
    if (c != 0) return c < 0 ? std::weak_ordering::less : std::weak_ordering::greater;
  }
  return a.labels_.size() < b.labels_.size()    ? std::weak_ordering::less
         : a.labels_.size() == b.labels_.size() ? std::weak_ordering::equivalent
                                                : std::weak_ordering::greater;
}

std::string Name::CanonicalKey() const {
  std::string key;
  for (const std::string& l : labels_) {
    key += static_cast<char>(l.size());  // a length prefix: labels may hold any octet
    key += AsciiLower(l);
  }
  return key;
}

}  // namespace llms::dns
