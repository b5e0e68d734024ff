// Resource records: type names, presentation form, equality and order (see record.h).
#include "dns/record.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <tuple>

namespace llms::dns {
namespace {

struct TypeEntry {
  uint16_t type;
  const char* name;
};
constexpr TypeEntry kTypes[] = {
    {rrtype::A, "A"},         {rrtype::NS, "NS"},     {rrtype::CNAME, "CNAME"},
    {rrtype::SOA, "SOA"},     {rrtype::PTR, "PTR"},   {rrtype::MX, "MX"},
    {rrtype::TXT, "TXT"},     {rrtype::AAAA, "AAAA"}, {rrtype::SRV, "SRV"},
    {rrtype::DNAME, "DNAME"}, {rrtype::OPT, "OPT"},   {rrtype::ANY, "ANY"},
};

std::string TxtString(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\{:03d}", c);
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string Ipv6ToString(const std::array<uint8_t, 16>& a) {
  // RFC 5952: lowercase hex, the longest run (2+) of zero groups as "::".
  uint16_t g[8];
  for (int i = 0; i < 8; ++i) g[i] = static_cast<uint16_t>(a[2 * i] << 8 | a[2 * i + 1]);
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    out += fmt::format("{:x}", g[i]);
  }
  return out;
}

// A comparable view of RDATA: the variant index, then its fields with names lowercased.
std::vector<std::string> RdataKey(const Rdata& d) {
  std::vector<std::string> k{std::to_string(d.index())};
  std::visit(
      [&k](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, AData> || std::is_same_v<T, AaaaData>) {
          k.emplace_back(v.address.begin(), v.address.end());
        } else if constexpr (std::is_same_v<T, NameData>) {
          k.push_back(v.name.CanonicalKey());
        } else if constexpr (std::is_same_v<T, MxData>) {
          k.push_back(fmt::format("{:05d}", v.preference));
          k.push_back(v.exchange.CanonicalKey());
        } else if constexpr (std::is_same_v<T, SoaData>) {
          k.push_back(v.mname.CanonicalKey());
          k.push_back(v.rname.CanonicalKey());
          k.push_back(fmt::format("{:010d} {:010d} {:010d} {:010d} {:010d}", v.serial, v.refresh,
                                  v.retry, v.expire, v.minimum));
        } else if constexpr (std::is_same_v<T, TxtData>) {
          k.push_back(std::to_string(v.strings.size()));
          k.insert(k.end(), v.strings.begin(), v.strings.end());
        } else if constexpr (std::is_same_v<T, SrvData>) {
          k.push_back(fmt::format("{:05d} {:05d} {:05d}", v.priority, v.weight, v.port));
          k.push_back(v.target.CanonicalKey());
        } else {
          k.emplace_back(v.bytes.begin(), v.bytes.end());
        }
      },
      d);
  return k;
}

}  // namespace

std::string TypeName(uint16_t type) {
  for (const TypeEntry& e : kTypes) {
    if (e.type == type) return e.name;
  }
  return fmt::format("TYPE{}", type);
}

Result<uint16_t> ParseType(std::string_view text) {
  const std::string upper = [&] {
    std::string u(text);
    for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return u;
  }();
  for (const TypeEntry& e : kTypes) {
    if (upper == e.name) return e.type;
  }
  if (upper.rfind("TYPE", 0) == 0 && upper.size() > 4) {
    unsigned v = 0;
    const char* b = upper.data() + 4;
    const char* end = upper.data() + upper.size();
    const auto [p, ec] = std::from_chars(b, end, v);
    if (ec == std::errc() && p == end && v <= 65535) return static_cast<uint16_t>(v);
  }
  return Result<uint16_t>::Error(fmt::format(
      "unknown record type '{}' (known: A, AAAA, NS, CNAME, DNAME, SOA, MX, TXT, SRV, PTR, or "
      "TYPEnnn)",
      text));
}

std::string RcodeName(uint16_t rcode) {
  static const char* const kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                       "NOTIMP",  "REFUSED", "YXDOMAIN"};
  if (rcode < std::size(kNames)) return kNames[rcode];
  return fmt::format("RCODE{}", rcode);
}

bool SameRecord(const ResourceRecord& a, const ResourceRecord& b) {
  return a.type == b.type && a.rclass == b.rclass && a.owner == b.owner &&
         RdataKey(a.rdata) == RdataKey(b.rdata);
}

bool RecordLess(const ResourceRecord& a, const ResourceRecord& b) {
  if (a.owner != b.owner) return a.owner < b.owner;
  if (a.type != b.type) return a.type < b.type;
  if (a.rclass != b.rclass) return a.rclass < b.rclass;
  return RdataKey(a.rdata) < RdataKey(b.rdata);
}

std::string RdataToString(const ResourceRecord& rr) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, AData>) {
          return fmt::format("{}.{}.{}.{}", v.address[0], v.address[1], v.address[2], v.address[3]);
        } else if constexpr (std::is_same_v<T, AaaaData>) {
          return Ipv6ToString(v.address);
        } else if constexpr (std::is_same_v<T, NameData>) {
          return v.name.ToString();
        } else if constexpr (std::is_same_v<T, MxData>) {
          return fmt::format("{} {}", v.preference, v.exchange.ToString());
        } else if constexpr (std::is_same_v<T, SoaData>) {
          return fmt::format("{} {} {} {} {} {} {}", v.mname.ToString(), v.rname.ToString(),
                             v.serial, v.refresh, v.retry, v.expire, v.minimum);
        } else if constexpr (std::is_same_v<T, TxtData>) {
          std::string out;
          for (const std::string& s : v.strings) {
            if (!out.empty()) out += ' ';
            out += TxtString(s);
          }
          return out;
        } else if constexpr (std::is_same_v<T, SrvData>) {
          return fmt::format("{} {} {} {}", v.priority, v.weight, v.port, v.target.ToString());
        } else {
          std::string out = fmt::format("\\# {}", v.bytes.size());
          if (!v.bytes.empty()) out += ' ';
          for (uint8_t b : v.bytes) out += fmt::format("{:02x}", b);
          return out;
        }
      },
      rr.rdata);
}

std::string RecordToString(const ResourceRecord& rr) {
  return fmt::format("{} {} {} {} {}", rr.owner.ToString(), rr.ttl,
                     rr.rclass == kClassIN ? std::string("IN") : fmt::format("CLASS{}", rr.rclass),
                     TypeName(rr.type), RdataToString(rr));
}

std::optional<Name> TargetName(const ResourceRecord& rr) {
  if (const auto* n = std::get_if<NameData>(&rr.rdata)) return n->name;
  if (const auto* mx = std::get_if<MxData>(&rr.rdata)) return mx->exchange;
  if (const auto* srv = std::get_if<SrvData>(&rr.rdata)) return srv->target;
  return std::nullopt;
}

}  // namespace llms::dns
