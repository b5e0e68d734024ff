// A DNS message (RFC 1035 §4.1): header flags, the question and the three record sections, as
// the wire codec (wire.h) reads and writes it and the specification answers it.
#pragma once

#include <cstdint>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"

namespace llms::dns {

struct Question {
  Name name;
  uint16_t type = rrtype::A;
  uint16_t qclass = kClassIN;
};

struct Message {
  uint16_t id = 0;
  bool qr = false;  // a response
  uint8_t opcode = 0;
  bool aa = false, tc = false, rd = false, ra = false, ad = false, cd = false;
  uint16_t rcode = rcode::NOERROR;  // the header's 4 bits (extended rcodes are not used)
  std::vector<Question> question;
  std::vector<ResourceRecord> answer, authority, additional;  // OPT, if any, is in additional
};

}  // namespace llms::dns
