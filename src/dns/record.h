// Resource records (RFC 1035 §3.2, §3.3): types and classes, typed RDATA for the types the
// specification reasons about (A, AAAA, NS, CNAME, DNAME, SOA, MX, TXT, SRV, PTR) and opaque RDATA
// for any other (RFC 3597), presentation form, and record equality as DNS sets compare them
// (owner, type, class and RDATA; names without regard to case; TTL apart).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/status.h"
#include "dns/name.h"

namespace llms::dns {

namespace rrtype {
inline constexpr uint16_t A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, HINFO = 13, MX = 15,
                          TXT = 16, AAAA = 28, SRV = 33, DNAME = 39, OPT = 41, DS = 43,
                          RRSIG = 46, NSEC = 47, ANY = 255;
}  // namespace rrtype
inline constexpr uint16_t kClassIN = 1;

// "A", "AAAA", ..., or "TYPE123" for others (RFC 3597 §5).
std::string TypeName(uint16_t type);
// The inverse; accepts any case and TYPEnnn.
Result<uint16_t> ParseType(std::string_view text);

namespace rcode {
inline constexpr uint16_t NOERROR = 0, FORMERR = 1, SERVFAIL = 2, NXDOMAIN = 3, NOTIMP = 4,
                          REFUSED = 5, YXDOMAIN = 6;
}  // namespace rcode
std::string RcodeName(uint16_t rcode);

struct AData {
  std::array<uint8_t, 4> address{};
};
struct AaaaData {
  std::array<uint8_t, 16> address{};
};
// NS, CNAME, DNAME, PTR: one domain name.
struct NameData {
  Name name;
};
struct MxData {
  uint16_t preference = 0;
  Name exchange;
};
struct SoaData {
  Name mname, rname;
  uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};
struct TxtData {
  std::vector<std::string> strings;  // each at most 255 octets
};
struct SrvData {
  uint16_t priority = 0, weight = 0, port = 0;
  Name target;
};
struct RawData {  // any other type: the RDATA octets (RFC 3597)
  std::vector<uint8_t> bytes;
};
using Rdata = std::variant<AData, AaaaData, NameData, MxData, SoaData, TxtData, SrvData, RawData>;

struct ResourceRecord {
  Name owner;
  uint16_t type = 0;
  uint16_t rclass = kClassIN;
  uint32_t ttl = 0;
  Rdata rdata;
};

// Same owner, type, class and RDATA (names compared without regard to case). TTL is not compared.
bool SameRecord(const ResourceRecord& a, const ResourceRecord& b);
// A total order consistent with SameRecord (owner in canonical order, then type, then RDATA).
bool RecordLess(const ResourceRecord& a, const ResourceRecord& b);

// RDATA in presentation form ("10 mail.example.com.", "\"text\"", "\\# 4 0a000001").
std::string RdataToString(const ResourceRecord& rr);
// One zone-file line: "owner ttl IN TYPE rdata".
std::string RecordToString(const ResourceRecord& rr);

// The domain name an NS, CNAME, DNAME, PTR, MX or SRV record points to.
std::optional<Name> TargetName(const ResourceRecord& rr);

}  // namespace llms::dns
