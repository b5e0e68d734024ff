// Domain names (RFC 1034 §3.1, RFC 1035 §2.3.4): a sequence of labels, each 1-63 octets, at most
// 255 octets on the wire. Labels are stored as given (case preserved) and compared without regard
// to ASCII case (RFC 4343). Ordering is DNSSEC's canonical order (RFC 4034 §6.1): by labels from
// the rightmost, each compared as lowercased octet strings, so a zone's names sort parent first.
// The presentation format (text) reads and writes `\DDD` and `\X` escapes.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace llms::dns {

inline constexpr size_t kMaxLabelLength = 63;
inline constexpr size_t kMaxNameLength = 255;  // octets on the wire, the root label included

class Name {
 public:
  Name() = default;  // the root

  // Presentation format. A name ending in '.' is absolute; otherwise `origin` is appended. "@" is
  // the origin itself. Errors: empty labels, labels over 63 octets, names over 255, bad escapes.
  static Result<Name> Parse(std::string_view text, const Name& origin = Name());
  // From labels, leftmost (most specific) first; checks the limits.
  static Result<Name> FromLabels(std::vector<std::string> labels);

  const std::vector<std::string>& labels() const { return labels_; }
  size_t label_count() const { return labels_.size(); }
  bool is_root() const { return labels_.empty(); }
  // Octets on the wire: each label's length byte and octets, then the root's zero byte.
  size_t wire_length() const;
  // Absolute presentation form with the trailing dot ("." for the root), escaping what needs it.
  std::string ToString() const;

  // True when this name is `ancestor` or below it.
  bool IsSubdomainOf(const Name& ancestor) const;
  // The name without its leftmost label (the root's parent is the root).
  Name Parent() const;
  // The rightmost `n` labels (n <= label_count()).
  Name Suffix(size_t n) const;
  // `label` + this name; fails when the result breaks a limit.
  Result<Name> Prepend(std::string_view label) const;
  // For DNAME (RFC 6672 §2.2): replace the suffix `owner` of this name by `target`. Fails when the
  // result exceeds 255 octets (the caller answers YXDOMAIN). Requires IsSubdomainOf(owner).
  Result<Name> ReplaceSuffix(const Name& owner, const Name& target) const;
  // The leftmost label is "*" (RFC 4592 §2.1.1).
  bool IsWildcard() const { return !labels_.empty() && labels_.front() == "*"; }

  friend bool operator==(const Name& a, const Name& b);
  friend std::weak_ordering operator<=>(const Name& a, const Name& b);

  // Lowercased labels joined, a key equal for names equal under operator==.
  std::string CanonicalKey() const;

 private:
  explicit Name(std::vector<std::string> labels) : labels_(std::move(labels)) {}
  std::vector<std::string> labels_;
};

// Lowercases ASCII letters only (RFC 4343 §3: other octets are compared exactly).
std::string AsciiLower(std::string_view s);
// One label in presentation form: escapes '.', '\\', '"', '(', ')', ';', '@', '$', whitespace
// and non-printable octets.
std::string EscapeLabel(std::string_view label);

struct NameHash {
  size_t operator()(const Name& n) const { return std::hash<std::string>()(n.CanonicalKey()); }
};

}  // namespace llms::dns
