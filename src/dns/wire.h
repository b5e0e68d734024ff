// The DNS wire format (RFC 1035 §4.1): encoding and decoding whole messages, with name
// compression (RFC 1035 §4.1.4) on the names the RFCs allow, truncation to a size limit
// (RFC 2181 §9, RFC 6891 §7), and a decoder that checks every length and pointer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "dns/message.h"
#include "dns/name.h"

namespace llms::dns {

// Encodes a message. Names in the question, owners, and the RDATA names of NS, CNAME, SOA, PTR
// and MX are compressed (pointers to earlier occurrences of any suffix, matched without regard
// to case); DNAME and SRV targets and the RDATA of other types are never compressed (RFC 6672
// §2.5, RFC 2782, RFC 3597 §4). RDATA is written from the variant held: RawData as its octets
// whatever the type. TXT strings longer than 255 octets are split into several
// <character-string>s, and a TXT record with no strings is written as one empty string (its
// RDATA may not be empty). A record whose RDATA would exceed 65535 octets cannot be written and
// is left out.
//
// If `max_size` > 0 and the message would exceed it, records are dropped from the end
// (additional first, then authority, then answer). TC is set only if a record of the answer or
// authority section had to be dropped (RFC 2181 §9: dropping additional records does not set
// TC). OPT records are never dropped (RFC 6891 §7: a truncated response still carries OPT); they
// move to the end of the additional section. The header and question are always written, even
// when they alone exceed `max_size`.
std::vector<uint8_t> EncodeMessage(const Message& m, size_t max_size = 0);

// Decodes a message. Errors say what is wrong and at which byte offset ("offset 37: compression
// pointer loops", "offset 80: truncated RDATA of MX", "trailing bytes", ...). Compression
// pointers are followed anywhere in the message (also inside the RDATA of NS, CNAME, DNAME, PTR,
// MX, SOA and SRV: RFC 3597 §4 asks receivers to accept them) but must point strictly before
// the labels that led to them, so decoding never loops. A, AAAA, NS, CNAME, DNAME, PTR, MX, SOA,
// TXT and SRV decode to typed RDATA, which must fill RDLENGTH exactly; every other type
// (OPT included, its class and TTL kept as they are) decodes to RawData.
Result<Message> DecodeMessage(std::span<const uint8_t> bytes);

// Name compression in RDATA: a message's RDATA may use pointers (RFC 3597 §4 asks receivers to
// follow them); RDATA given on its own (a zone file's generic form, RFC 3597 §5) may not.
enum class Compression { kFollow, kForbidden };

// The RDATA of `type` in octets [offset, offset + length) of `message`: typed for A, AAAA, NS,
// CNAME, DNAME, PTR, MX, SOA, TXT and SRV (which must fill the octets exactly), RawData for every
// other type. With kFollow, pointers may reach anywhere before them in `message`; with
// kForbidden, a pointer is an error. Errors name the offset, as DecodeMessage's do. The one
// RDATA decoder of the project: DecodeMessage and the zone parser's generic form both use it.
Result<Rdata> DecodeRdata(std::span<const uint8_t> message, size_t offset, size_t length,
                          uint16_t type, Compression compression);

// A query for (name, type, IN) with RD clear and, if `udp_size` > 0, an EDNS0 OPT record
// (RFC 6891 §6.1) advertising `udp_size` with extended RCODE, version and flags zero.
std::vector<uint8_t> EncodeQuery(uint16_t id, const Name& name, uint16_t type,
                                 uint16_t udp_size = 1232);

}  // namespace llms::dns
