// The zone-file parser (see zone_parser.h): a tokenizer that turns master-file text into entries
// (parentheses, comments, quotes, line numbers), the directive and record-header reader, the
// per-type RDATA parsers, the RFC 3597 generic form, the zone checks and the zone writer.
#include "dns/zone_parser.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "dns/wire.h"

namespace llms::dns {
namespace {

constexpr uint64_t kMaxTtl = 0x7fffffff;  // RFC 2181 §8: TTLs are 31-bit
constexpr uint64_t kMaxU32 = 0xffffffff;
constexpr uint64_t kMaxU16 = 0xffff;
// Numbers are clamped here while being read, so that long digit strings cannot overflow; the
// clamped value is still over every limit checked.
constexpr uint64_t kClamp = uint64_t{1} << 40;

Status ErrorAt(std::string_view source, int line, std::string_view problem) {
  return Status::Error(fmt::format("{}:{}: {}", source, line, problem));
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer (RFC 1035 §5.1): entries are one line, or several joined by parentheses; tokens are
// separated by whitespace; `;` starts a comment to the end of the line (outside quotes); a quoted
// string is one token; `\X` and `\DDD` escapes are kept in the token for the reader to decode.

struct Token {
  std::string text;     // as written, escapes kept; a quoted string without its quotes
  bool quoted = false;  // was a "quoted string"
  int line = 0;
};

struct Entry {
  int line = 0;              // the line it starts on
  bool blank_owner = false;  // the line starts with whitespace: the previous owner (RFC 1035 §5.1)
  std::vector<Token> tokens;
};

class Tokenizer {
 public:
  Tokenizer(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  // Reads the next entry with at least one token; false when the text is exhausted.
  Result<bool> Next(Entry& entry);

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  static bool IsSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
  }
  void StartEntry(Entry& entry) const;
  void SkipComment();
  Status ReadWord(Token& token);
  Status ReadQuoted(Token& token);

  std::string_view text_, source_;
  size_t pos_ = 0;
  int line_ = 1;
};

void Tokenizer::StartEntry(Entry& entry) const {
  entry.line = line_;
  entry.blank_owner = !AtEnd() && (Peek() == ' ' || Peek() == '\t');
}

void Tokenizer::SkipComment() {
  while (!AtEnd() && Peek() != '\n') ++pos_;
}

Result<bool> Tokenizer::Next(Entry& entry) {
  entry = Entry{};
  StartEntry(entry);
  int depth = 0, open_line = 0;
  while (!AtEnd()) {
    const char c = Peek();
    if (c == '\n') {
      ++pos_;
      ++line_;
      if (depth > 0) continue;  // parentheses join lines
      if (!entry.tokens.empty()) return true;
      StartEntry(entry);  // a blank or comment-only line
    } else if (IsSpace(c)) {
      ++pos_;
    } else if (c == ';') {
      SkipComment();
    } else if (c == '(') {
      if (depth++ == 0) open_line = line_;
      ++pos_;
    } else if (c == ')') {
      if (depth == 0) return ErrorAt(source_, line_, "unbalanced parenthesis: ')' without '('");
      --depth;
      ++pos_;
    } else {
      Token token{"", c == '"', line_};
      const Status s = token.quoted ? ReadQuoted(token) : ReadWord(token);
      if (!s.ok()) return s;
      entry.tokens.push_back(std::move(token));
    }
  }
  if (depth > 0) return ErrorAt(source_, open_line, "unbalanced parenthesis: '(' is never closed");
  return !entry.tokens.empty();
}

Status Tokenizer::ReadWord(Token& token) {
  while (!AtEnd()) {
    const char c = Peek();
    if (IsSpace(c) || c == '\n' || c == ';' || c == '(' || c == ')' || c == '"') break;
    if (c == '\\') {
      if (pos_ + 1 >= text_.size() || text_[pos_ + 1] == '\n') {
        return ErrorAt(source_, line_, "a '\\' ends the line; escape a character after it");
      }
      token.text += c;
      ++pos_;
    }
    token.text += Peek();
    ++pos_;
  }
  return Status::Ok();
}

Status Tokenizer::ReadQuoted(Token& token) {
  ++pos_;  // the opening quote
  while (!AtEnd() && Peek() != '"') {
    if (Peek() == '\n') break;
    if (Peek() == '\\') {
      if (pos_ + 1 >= text_.size() || text_[pos_ + 1] == '\n') break;
      token.text += Peek();
      ++pos_;
    }
    token.text += Peek();
    ++pos_;
  }
  if (AtEnd() || Peek() != '"') {
    return ErrorAt(source_, token.line, "unterminated quoted string (a '\"' is missing)");
  }
  ++pos_;  // the closing quote
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Values: numbers, TTLs, addresses and character strings. Each returns a problem without a line.

// Decimal digits only; nullopt otherwise. Values over kClamp read as kClamp.
std::optional<uint64_t> ParseDecimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  for (const char c : text) {
    if (!IsDigit(c)) return std::nullopt;
    v = std::min(kClamp, v * 10 + static_cast<uint64_t>(c - '0'));
  }
  return v;
}

// Seconds in a TTL unit: s, m, h, d or w, in either case; 0 for any other character.
uint64_t UnitSeconds(char unit) {
  const int u = unit | 0x20;  // lowercase (only 'S' and 's' become 's', and so on)
  if (u == 's') return 1;
  if (u == 'm') return 60;
  if (u == 'h') return 3600;
  if (u == 'd') return 86400;
  if (u == 'w') return 604800;
  return 0;
}

// RFC 1035 §5.1 TTLs are decimal seconds; BIND, NSD and Knot also read units (s, m, h, d, w, any
// case) as in `1h30m` (RFC 2308 §4's examples). A bare number is seconds only when it stands alone.
std::optional<uint64_t> ParseDuration(std::string_view text) {
  if (auto plain = ParseDecimal(text)) return plain;
  if (text.empty()) return std::nullopt;
  uint64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i == start || i == text.size()) return std::nullopt;  // each number needs its unit
    const uint64_t n = *ParseDecimal(text.substr(start, i - start));
    const uint64_t unit = UnitSeconds(text[i++]);
    if (unit == 0) return std::nullopt;
    total = std::min(kClamp, total + n * unit);
  }
  return total;
}

// RFC 1035 §3.4.1: four decimal octets, 0-255 each.
Result<std::array<uint8_t, 4>> ParseIpv4(std::string_view text) {
  std::array<uint8_t, 4> address{};
  size_t part = 0, start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != '.') continue;
    const std::string_view digits = text.substr(start, i - start);
    start = i + 1;
    const auto v = digits.size() <= 3 ? ParseDecimal(digits) : std::nullopt;
    if (!v) {
      return Result<std::array<uint8_t, 4>>::Error(
          fmt::format("'{}' is not an IPv4 address ('{}' is not a decimal octet)", text, digits));
    }
    if (*v > 255) {
      return Result<std::array<uint8_t, 4>>::Error(
          fmt::format("'{}' is not an IPv4 address ({} is over 255)", text, *v));
    }
    if (part < 4) address[part] = static_cast<uint8_t>(*v);
    ++part;
  }
  if (part != 4) {
    return Result<std::array<uint8_t, 4>>::Error(
        fmt::format("'{}' is not an IPv4 address: it has {} parts; an address has 4", text, part));
  }
  return address;
}

// RFC 3596 §2.4 / RFC 4291 §2.2: every textual form, `::` and an IPv4 tail included.
Result<std::array<uint8_t, 16>> ParseIpv6(std::string_view text) {
  std::array<uint8_t, 16> address{};
  const std::string s(text);
  if (s.find('\0') != std::string::npos || inet_pton(AF_INET6, s.c_str(), address.data()) != 1) {
    return Result<std::array<uint8_t, 16>>::Error(fmt::format("'{}' is not an IPv6 address", text));
  }
  return address;
}

// A <character-string> (RFC 1035 §3.3, §5.1): `\X` is X, `\DDD` the octet DDD; at most 255 octets.
Result<std::string> DecodeCharacterString(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    if (!IsDigit(text[i + 1])) {
      out += text[++i];
      continue;
    }
    const auto v = i + 3 < text.size() ? ParseDecimal(text.substr(i + 1, 3)) : std::nullopt;
    if (!v || *v > 255) {
      return Result<std::string>::Error(
          fmt::format("'{}': a '\\' and a digit must start an octet \\DDD (000-255)", text));
    }
    out += static_cast<char>(*v);
    i += 3;
  }
  if (out.size() > 255) {
    return Result<std::string>::Error(
        fmt::format("a TXT string of {} octets; at most 255 (RFC 1035 §3.3)", out.size()));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// RDATA fields: the tokens after the type, read in order. Errors name the type and what it needs.

class Fields {
 public:
  Fields(const std::vector<Token>& tokens, size_t first, int line, std::string_view source,
         const Name& origin, std::string type, std::string_view needs)
      : tokens_(tokens),
        pos_(first),
        line_(line),
        source_(source),
        origin_(origin),
        type_(std::move(type)),
        needs_(needs) {}

  bool empty() const { return pos_ >= tokens_.size(); }
  const Token& Peek() const { return tokens_[pos_]; }  // requires !empty()
  const std::string& type() const { return type_; }
  Status Error(const Token& at, std::string_view problem) const {
    return ErrorAt(source_, at.line, problem);
  }
  // An error at the line the record starts on.
  Status Error(std::string_view problem) const { return ErrorAt(source_, line_, problem); }

  // The next token, quoted or not.
  Result<const Token*> Next() {
    if (empty()) return Error(fmt::format("{} needs {}", type_, needs_));
    return &tokens_[pos_++];
  }
  // The next token, which must not be a quoted string (names, numbers, addresses).
  Result<const Token*> NextWord() {
    auto t = Next();
    if (t.ok() && (*t)->quoted) {
      return Error(**t, fmt::format("\"{}\" is quoted; {} needs {} (quoted strings are for TXT)",
                                    (*t)->text, type_, needs_));
    }
    return t;
  }
  Result<Name> NextName() {
    auto t = NextWord();
    if (!t.ok()) return t.status();
    auto name = Name::Parse((*t)->text, origin_);
    if (!name.ok()) return Error(**t, name.message());
    return name;
  }
  // A decimal number from 0 to `max`; `what` names it in errors ("MX preference").
  Result<uint64_t> NextNumber(std::string_view what, uint64_t max) {
    return NextValue(what, max, ParseDecimal, "a decimal number");
  }
  // A duration in seconds or TTL units ("1h30m"), from 0 to `max`.
  Result<uint64_t> NextDuration(std::string_view what, uint64_t max) {
    return NextValue(what, max, ParseDuration, "a number of seconds or a duration like 1h30m");
  }
  // RFC 1035 §5.1: the RDATA ends the entry; anything after it is an error.
  Status Done() const {
    if (empty()) return Status::Ok();
    return Error(tokens_[pos_], fmt::format("unexpected '{}' after the {} rdata (it needs {})",
                                            tokens_[pos_].text, type_, needs_));
  }

 private:
  Result<uint64_t> NextValue(std::string_view what, uint64_t max,
                             std::optional<uint64_t> (*parse)(std::string_view),
                             std::string_view form) {
    auto t = NextWord();
    if (!t.ok()) return t.status();
    const auto v = parse((*t)->text);
    if (!v) return Error(**t, fmt::format("{} '{}' is not {}", what, (*t)->text, form));
    if (*v > max) {
      return Error(**t, fmt::format("{} {} is out of range (0-{})", what, (*t)->text, max));
    }
    return *v;
  }

  const std::vector<Token>& tokens_;
  size_t pos_;
  int line_;
  std::string_view source_;
  const Name& origin_;
  std::string type_;
  std::string_view needs_;
};

// ---------------------------------------------------------------------------------------------
// Per-type RDATA in presentation form (RFC 1035 §3.3, §3.4; RFC 3596; RFC 2782; RFC 6672).

// RFC 1035 §3.4.1.
Result<Rdata> ParseA(Fields& f) {
  auto t = f.NextWord();
  if (!t.ok()) return t.status();
  auto a = ParseIpv4((*t)->text);
  if (!a.ok()) return f.Error(**t, a.message());
  return Rdata{AData{*a}};
}

// RFC 3596 §2.4.
Result<Rdata> ParseAaaa(Fields& f) {
  auto t = f.NextWord();
  if (!t.ok()) return t.status();
  auto a = ParseIpv6((*t)->text);
  if (!a.ok()) return f.Error(**t, a.message());
  return Rdata{AaaaData{*a}};
}

// NS, CNAME, PTR (RFC 1035 §3.3.11, §3.3.1, §3.3.12), DNAME (RFC 6672 §2.1): one domain name.
Result<Rdata> ParseNameRdata(Fields& f) {
  auto n = f.NextName();
  if (!n.ok()) return n.status();
  return Rdata{NameData{*n}};
}

// RFC 1035 §3.3.9: PREFERENCE (16 bits) and EXCHANGE.
Result<Rdata> ParseMx(Fields& f) {
  auto pref = f.NextNumber("MX preference", kMaxU16);
  if (!pref.ok()) return pref.status();
  auto exchange = f.NextName();
  if (!exchange.ok()) return exchange.status();
  return Rdata{MxData{static_cast<uint16_t>(*pref), *exchange}};
}

// RFC 1035 §3.3.13: MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM; the timers read TTL units.
Result<Rdata> ParseSoa(Fields& f) {
  SoaData soa;
  auto mname = f.NextName();
  if (!mname.ok()) return mname.status();
  auto rname = f.NextName();
  if (!rname.ok()) return rname.status();
  soa.mname = *mname;
  soa.rname = *rname;
  auto serial = f.NextNumber("SOA serial", kMaxU32);
  if (!serial.ok()) return serial.status();
  soa.serial = static_cast<uint32_t>(*serial);
  const std::pair<const char*, uint32_t*> timers[] = {{"SOA refresh", &soa.refresh},
                                                      {"SOA retry", &soa.retry},
                                                      {"SOA expire", &soa.expire},
                                                      {"SOA minimum", &soa.minimum}};
  for (const auto& [what, field] : timers) {
    auto v = f.NextDuration(what, kMaxU32);
    if (!v.ok()) return v.status();
    *field = static_cast<uint32_t>(*v);
  }
  return Rdata{soa};
}

// RFC 1035 §3.3.14: one or more <character-string>s, quoted or single words.
Result<Rdata> ParseTxt(Fields& f) {
  TxtData txt;
  do {
    auto t = f.Next();
    if (!t.ok()) return t.status();
    auto s = DecodeCharacterString((*t)->text);
    if (!s.ok()) return f.Error(**t, s.message());
    txt.strings.push_back(std::move(*s));
  } while (!f.empty());
  return Rdata{std::move(txt)};
}

// RFC 2782: PRIORITY WEIGHT PORT TARGET.
Result<Rdata> ParseSrv(Fields& f) {
  SrvData srv;
  const std::pair<const char*, uint16_t*> numbers[] = {
      {"SRV priority", &srv.priority}, {"SRV weight", &srv.weight}, {"SRV port", &srv.port}};
  for (const auto& [what, field] : numbers) {
    auto v = f.NextNumber(what, kMaxU16);
    if (!v.ok()) return v.status();
    *field = static_cast<uint16_t>(*v);
  }
  auto target = f.NextName();
  if (!target.ok()) return target.status();
  srv.target = *target;
  return Rdata{srv};
}

struct TypeSyntax {
  uint16_t type;
  const char* needs;  // completes "<TYPE> needs ..."
  Result<Rdata> (*parse)(Fields&);
};
constexpr TypeSyntax kSyntax[] = {
    {rrtype::A, "an IPv4 address", ParseA},
    {rrtype::AAAA, "an IPv6 address", ParseAaaa},
    {rrtype::NS, "a name server's name", ParseNameRdata},
    {rrtype::CNAME, "a canonical name", ParseNameRdata},
    {rrtype::DNAME, "a target name", ParseNameRdata},
    {rrtype::PTR, "a domain name", ParseNameRdata},
    {rrtype::MX, "a preference and an exchange", ParseMx},
    {rrtype::SOA, "mname, rname, serial, refresh, retry, expire and minimum", ParseSoa},
    {rrtype::TXT, "one or more strings", ParseTxt},
    {rrtype::SRV, "a priority, a weight, a port and a target", ParseSrv},
};

const TypeSyntax* FindSyntax(uint16_t type) {
  for (const TypeSyntax& s : kSyntax) {
    if (s.type == type) return &s;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads `LENGTH HEX...` after the `\#` token: the length in octets, then that many octets as hex
// digits, split into words as the writer likes (RFC 3597 §5).
Result<std::vector<uint8_t>> ParseGenericOctets(Fields& f) {
  auto length = f.NextNumber("generic RDATA length", kMaxU16);
  if (!length.ok()) return length.status();
  std::vector<uint8_t> bytes;
  int high = -1;  // the first digit of an octet, while its second is awaited
  while (!f.empty()) {
    auto t = f.NextWord();
    if (!t.ok()) return t.status();
    for (const char c : (*t)->text) {
      const int v = HexValue(c);
      if (v < 0) return f.Error(**t, fmt::format("'{}' is not hexadecimal", (*t)->text));
      if (high < 0) {
        high = v;
      } else {
        bytes.push_back(static_cast<uint8_t>(high << 4 | v));
        high = -1;
      }
    }
  }
  if (high >= 0 || bytes.size() != *length) {
    return f.Error(fmt::format("{} generic RDATA: length {} but {} hex digits (RFC 3597 §5)",
                               f.type(), *length, bytes.size() * 2 + (high >= 0 ? 1 : 0)));
  }
  return bytes;
}

// The RDATA after the type: the generic form for any type, else the type's own syntax.
Result<Rdata> ParseRdata(uint16_t type, Fields& f) {
  const TypeSyntax* syntax = FindSyntax(type);
  if (f.empty() && syntax == nullptr) {
    return f.Error(
        fmt::format("{} needs RDATA in the generic form \\# LENGTH HEX (RFC 3597 §5)", f.type()));
  }
  if (!f.empty() && f.Peek().text == "\\#" && !f.Peek().quoted) {
    (void)f.Next();
    auto bytes = ParseGenericOctets(f);
    if (!bytes.ok()) return bytes.status();
    // A known type's octets are read as its wire format (RFC 3597 §5: "interpreted as if in the
    // type's ordinary format"), with no name compression (RFC 3597 §4), so that a record means
    // the same in either form; any other type's are kept as they are.
    auto typed = DecodeRdata(*bytes, 0, bytes->size(), type, Compression::kForbidden);
    if (typed.ok()) return *typed;
    return f.Error(fmt::format("the generic RDATA is not valid {} RDATA (RFC 3597 §5)", f.type()));
  }
  if (syntax == nullptr) {
    return f.Error(f.Peek(), fmt::format("{} is not a type this parser knows: write its RDATA in "
                                         "the generic form \\# LENGTH HEX (RFC 3597 §5)",
                                         f.type()));
  }
  auto rdata = syntax->parse(f);
  if (!rdata.ok()) return rdata;
  if (Status done = f.Done(); !done.ok()) return done;
  return rdata;
}

// ---------------------------------------------------------------------------------------------
// The reader: directives and record headers (owner, TTL, class, type), with the state that carries
// from one entry to the next.

class ZoneReader {
 public:
  ZoneReader(const Name& origin, std::string_view source) : origin_(origin), source_(source) {}

  // Reads one entry, adding a record to `zone` or applying a directive.
  Status Read(const Entry& entry, Zone& zone);

 private:
  Status Error(int line, std::string_view problem) const { return ErrorAt(source_, line, problem); }
  Status Directive(const Entry& entry);
  Result<Name> Owner(const Entry& entry, size_t& next);
  Status TtlAndClass(const Entry& entry, size_t& next, std::optional<uint32_t>& ttl);
  Result<uint16_t> Type(const Entry& entry, size_t& next);
  Result<uint32_t> DefaultTtl(const Entry& entry, const ResourceRecord& rr) const;

  Name origin_;  // completes relative names; $ORIGIN changes it
  std::string_view source_;
  std::optional<uint32_t> default_ttl_;  // from $TTL
  std::optional<uint32_t> last_ttl_;     // the previous record's
  std::optional<Name> last_owner_;       // the previous record's
};

Status ZoneReader::Read(const Entry& entry, Zone& zone) {
  if (!entry.blank_owner && !entry.tokens[0].quoted && entry.tokens[0].text.starts_with('$')) {
    return Directive(entry);
  }
  size_t next = 0;
  auto owner = Owner(entry, next);
  if (!owner.ok()) return owner.status();
  std::optional<uint32_t> ttl;
  LLMS_RETURN_IF_ERROR(TtlAndClass(entry, next, ttl));
  auto type = Type(entry, next);
  if (!type.ok()) return type.status();

  const TypeSyntax* syntax = FindSyntax(*type);
  Fields fields(entry.tokens, next, entry.line, source_, origin_, TypeName(*type),
                syntax ? syntax->needs : "RDATA");
  auto rdata = ParseRdata(*type, fields);
  if (!rdata.ok()) return rdata.status();

  ResourceRecord rr{*owner, *type, kClassIN, 0, std::move(*rdata)};
  if (ttl) {
    rr.ttl = *ttl;
  } else {
    auto fallback = DefaultTtl(entry, rr);
    if (!fallback.ok()) return fallback.status();
    rr.ttl = *fallback;
  }
  last_owner_ = rr.owner;
  last_ttl_ = rr.ttl;
  zone.records.push_back(std::move(rr));
  return Status::Ok();
}

// RFC 1035 §5.1 $ORIGIN and $INCLUDE; RFC 2308 §4 $TTL.
Status ZoneReader::Directive(const Entry& entry) {
  const std::string& directive = entry.tokens[0].text;
  const std::string upper = AsciiUpper(directive);
  if (upper == "$INCLUDE") return Error(entry.line, "$INCLUDE is not supported");
  if (upper != "$ORIGIN" && upper != "$TTL") {
    return Error(entry.line,
                 fmt::format("unknown directive '{}' (known: $ORIGIN, $TTL)", directive));
  }
  const bool is_origin = upper == "$ORIGIN";
  const char* needs = is_origin ? "a domain name" : "a TTL";
  if (entry.tokens.size() != 2 || entry.tokens[1].quoted) {
    return Error(entry.line, fmt::format("{} needs exactly one argument, {}", upper, needs));
  }
  const Token& arg = entry.tokens[1];
  if (is_origin) {
    auto name = Name::Parse(arg.text, origin_);  // a relative name is completed by the old origin
    if (!name.ok()) return Error(arg.line, name.message());
    origin_ = *name;
    return Status::Ok();
  }
  const auto ttl = ParseDuration(arg.text);
  if (!ttl) return Error(arg.line, fmt::format("'{}' is not a TTL", arg.text));
  if (*ttl > kMaxTtl) {
    return Error(arg.line, fmt::format("TTL {} is over {} (RFC 2181 §8)", arg.text, kMaxTtl));
  }
  default_ttl_ = static_cast<uint32_t>(*ttl);
  return Status::Ok();
}

// RFC 1035 §5.1: a line that starts with whitespace has the previous record's owner.
Result<Name> ZoneReader::Owner(const Entry& entry, size_t& next) {
  if (entry.blank_owner) {
    if (!last_owner_) return Error(entry.line, "no owner: the first record must name one");
    return *last_owner_;
  }
  const Token& t = entry.tokens[next++];
  if (t.quoted) return Error(t.line, fmt::format("the owner \"{}\" is a quoted string", t.text));
  auto name = Name::Parse(t.text, origin_);
  if (!name.ok()) return Error(t.line, name.message());
  return name;
}

// The classes RFC 1035 §3.2.4 and RFC 3597 §5 name; only IN is read.
bool IsClassWord(std::string_view upper) {
  return upper == "IN" || upper == "CH" || upper == "CS" || upper == "HS" ||
         (upper.starts_with("CLASS") && upper.size() > 5 && ParseDecimal(upper.substr(5)));
}

// RFC 1035 §5.1: [<TTL>] [<class>] or [<class>] [<TTL>], both optional.
Status ZoneReader::TtlAndClass(const Entry& entry, size_t& next, std::optional<uint32_t>& ttl) {
  bool have_class = false;
  while (next < entry.tokens.size() && !entry.tokens[next].quoted) {
    const Token& t = entry.tokens[next];
    const std::string upper = AsciiUpper(t.text);
    if (!have_class && IsClassWord(upper)) {
      if (upper != "IN" && upper != "CLASS1") {
        return Error(t.line, fmt::format("class '{}' is not supported: only IN", t.text));
      }
      have_class = true;
    } else if (!ttl && IsDigit(t.text[0])) {
      const auto v = ParseDuration(t.text);
      if (!v) return Error(t.line, fmt::format("'{}' is not a TTL", t.text));
      if (*v > kMaxTtl) {
        return Error(t.line, fmt::format("TTL {} is over {} (RFC 2181 §8)", t.text, kMaxTtl));
      }
      ttl = static_cast<uint32_t>(*v);
    } else {
      break;
    }
    ++next;
  }
  return Status::Ok();
}

Result<uint16_t> ZoneReader::Type(const Entry& entry, size_t& next) {
  if (next >= entry.tokens.size()) return Error(entry.line, "the record has no type");
  const Token& t = entry.tokens[next++];
  auto type = ParseType(t.text);
  if (!type.ok() || t.quoted) {
    return Error(t.line, fmt::format("unknown record type '{}'", t.text));
  }
  // RFC 6891 §6.1.1: OPT is a pseudo-record, never zone data; RFC 6895 §3.1: 0 is reserved and
  // 128-255 are query and meta types (AXFR, ANY...), which no zone holds.
  if (*type == 0 || *type == rrtype::OPT || (*type >= 128 && *type <= 255)) {
    return Error(t.line, fmt::format("{} is not a type a zone can hold", TypeName(*type)));
  }
  return type;
}

// A record written without a TTL: the $TTL value (RFC 2308 §4); before any $TTL, the previous
// record's (RFC 1035 §5.1); for a first record, an SOA's MINIMUM (as BIND does).
Result<uint32_t> ZoneReader::DefaultTtl(const Entry& entry, const ResourceRecord& rr) const {
  if (default_ttl_) return *default_ttl_;
  if (last_ttl_) return *last_ttl_;
  if (const auto* soa = std::get_if<SoaData>(&rr.rdata)) {
    return static_cast<uint32_t>(std::min<uint64_t>(soa->minimum, kMaxTtl));
  }
  return Error(entry.line, "no TTL: give the first record a TTL, or a $TTL line before it");
}

// ---------------------------------------------------------------------------------------------
// Zone checks (ValidateZone).

// Records grouped by owner, in the order owners first appear.
struct OwnerSet {
  const Name* owner = nullptr;
  std::vector<const ResourceRecord*> records;
  size_t Count(uint16_t type) const {
    return static_cast<size_t>(std::count_if(records.begin(), records.end(),
                                             [type](const auto* r) { return r->type == type; }));
  }
};

std::vector<OwnerSet> GroupByOwner(const Zone& zone) {
  std::vector<OwnerSet> sets;
  std::map<std::string, size_t> index;
  for (const ResourceRecord& rr : zone.records) {
    auto [it, inserted] = index.emplace(rr.owner.CanonicalKey(), sets.size());
    if (inserted) sets.push_back(OwnerSet{&rr.owner, {}});
    sets[it->second].records.push_back(&rr);
  }
  return sets;
}

Status OwnerError(const Name& owner, std::string_view rule) {
  return Status::Error(fmt::format("{}: {}", owner.ToString(), rule));
}

// The rules one owner's records must keep.
Status CheckOwner(const OwnerSet& set) {
  constexpr uint16_t kRrsig = 46, kNsec = 47;
  const size_t cnames = set.Count(rrtype::CNAME);
  if (cnames > 1) return OwnerError(*set.owner, "more than one CNAME (RFC 2181 §10.1)");
  if (set.Count(rrtype::DNAME) > 1) {
    return OwnerError(*set.owner, "more than one DNAME (RFC 6672 §2.4)");
  }
  if (cnames == 0) return Status::Ok();
  // RFC 1034 §3.6.2, RFC 2181 §10.1: a CNAME stands alone (RFC 4035 §2.5: but for RRSIG and NSEC).
  for (const ResourceRecord* rr : set.records) {
    if (rr->type != rrtype::CNAME && rr->type != kRrsig && rr->type != kNsec) {
      return OwnerError(*set.owner, fmt::format("a CNAME and other data ({}) at the same owner "
                                                "(RFC 1034 §3.6.2, RFC 2181 §10.1)",
                                                TypeName(rr->type)));
    }
  }
  return Status::Ok();
}

// RFC 1035 §5.2: exactly one SOA, at the apex, and NS records at the apex (RFC 1034 §4.2.1).
Status CheckApex(const Zone& zone) {
  const std::string apex = zone.origin.ToString();
  size_t soas = 0;
  bool apex_ns = false;
  for (const ResourceRecord& rr : zone.records) {
    if (rr.type == rrtype::SOA) {
      if (rr.owner != zone.origin) {
        return OwnerError(rr.owner, fmt::format("an SOA not at the apex {} (RFC 1035 §5.2)", apex));
      }
      ++soas;
    }
    if (rr.type == rrtype::NS && rr.owner == zone.origin) apex_ns = true;
  }
  if (soas == 0) return OwnerError(zone.origin, "no SOA record at the apex (RFC 1035 §5.2)");
  if (soas > 1) {
    return OwnerError(zone.origin,
                      fmt::format("{} SOA records; a zone has one (RFC 1035 §5.2)", soas));
  }
  if (!apex_ns) return OwnerError(zone.origin, "no NS record at the apex (RFC 1034 §4.2.1)");
  return Status::Ok();
}

}  // namespace

Result<Zone> ParseZone(std::string_view text, const Name& origin, std::string_view source) {
  Zone zone{origin, {}};
  Tokenizer tokenizer(text, source);
  ZoneReader reader(origin, source);
  Entry entry;
  while (true) {
    auto more = tokenizer.Next(entry);
    if (!more.ok()) return more.status();
    if (!*more) return zone;
    LLMS_RETURN_IF_ERROR(reader.Read(entry, zone));
  }
}

Result<Zone> ParseZoneFile(const std::string& path, const Name& origin) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) {
    return Result<Zone>::Error(fmt::format("{}: cannot read the file", path));
  }
  return ParseZone(text.str(), origin, path);
}

Status ValidateZone(const Zone& zone) {
  std::vector<const Name*> dnames;
  for (const ResourceRecord& rr : zone.records) {
    if (rr.rclass != kClassIN) {
      return OwnerError(rr.owner, fmt::format("class {} is not IN", rr.rclass));
    }
    if (!rr.owner.IsSubdomainOf(zone.origin)) {
      return OwnerError(rr.owner, fmt::format("outside the zone {}", zone.origin.ToString()));
    }
    if (rr.type == rrtype::DNAME) dnames.push_back(&rr.owner);
  }
  // RFC 6672 §2.4: no data below a DNAME's owner (the DNAME redirects the whole subtree).
  for (const ResourceRecord& rr : zone.records) {
    for (const Name* d : dnames) {
      if (rr.owner != *d && rr.owner.IsSubdomainOf(*d)) {
        return OwnerError(
            rr.owner, fmt::format("a record below the DNAME at {} (RFC 6672 §2.4)", d->ToString()));
      }
    }
  }
  for (const OwnerSet& set : GroupByOwner(zone)) LLMS_RETURN_IF_ERROR(CheckOwner(set));
  return CheckApex(zone);
}

std::string ZoneToText(const Zone& zone) {
  std::string out = fmt::format("$ORIGIN {}\n", zone.origin.ToString());
  for (const ResourceRecord& rr : zone.records) {
    out += RecordToString(rr);
    out += '\n';
  }
  return out;
}

}  // namespace llms::dns
