// The DNS zone-file (master file) parser, RFC 1035 §5: reads master-file text into records
// (ParseZone, ParseZoneFile), checks a zone is one an authoritative server can load (ValidateZone)
// and writes a zone back as master-file text (ZoneToText).
//
// Syntax accepted (RFC 1035 §5.1 and what BIND, NSD and Knot accept):
//   - directives `$ORIGIN name` and `$TTL ttl` (RFC 2308 §4); `$INCLUDE` is rejected;
//   - an owner, or whitespace at the start of the line for the previous owner; `@`; relative names;
//   - TTL and class in either order, both optional; the class must be IN;
//   - TTLs as seconds (at most 2^31-1, RFC 2181 §8) or with units, e.g. `1h30m`, `2d`, `1w`;
//   - parentheses spanning lines, `;` comments, quoted strings with `\"` and `\DDD` escapes;
//   - A, AAAA, NS, CNAME, DNAME, PTR, MX, SOA, TXT, SRV, and the generic RDATA form
//     `\# LENGTH HEX` (RFC 3597 §5) for any type, `TYPEnnn` included.
//
// TTL rule: a record without a TTL takes the $TTL value once a $TTL line has been read. Before any
// $TTL, it takes the previous record's TTL (RFC 1035 §5.1, "the last explicitly stated value");
// the first record then needs a TTL, except an SOA, which takes its MINIMUM field as BIND does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "dns/name.h"
#include "dns/record.h"

namespace llms::dns {

struct Zone {
  Name origin;                          // the zone's apex (the `origin` given to ParseZone)
  std::vector<ResourceRecord> records;  // in file order
};

// Parses master-file text. `origin` is the zone's apex and the initial $ORIGIN ($ORIGIN lines
// change the origin relative names are completed with, not the apex). `source` names the file in
// errors, which read "SOURCE:LINE: problem", e.g. "zone.db:12: MX needs a preference and an
// exchange". The first error stops parsing.
Result<Zone> ParseZone(std::string_view text, const Name& origin, std::string_view source = "zone");

// Reads the file and parses it, naming it by `path` in errors (a missing file: "PATH: cannot read
// the file").
Result<Zone> ParseZoneFile(const std::string& path, const Name& origin);

// Checks the zone is one an authoritative server can load: classes all IN; every owner at or below
// the apex; exactly one SOA, at the apex; at least one NS at the apex; no other data beside a CNAME
// (RFC 1034 §3.6.2, RFC 2181 §10.1); at most one CNAME and one DNAME per owner and no records
// below a DNAME owner (RFC 6672 §2.4). Errors name the owner and the rule.
Status ValidateZone(const Zone& zone);

// The zone as master-file text: an $ORIGIN line, then one record per line (RecordToString).
// ParseZone of it, with the same origin, gives the same records with the same TTLs.
std::string ZoneToText(const Zone& zone);

}  // namespace llms::dns
