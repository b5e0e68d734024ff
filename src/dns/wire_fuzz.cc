// libFuzzer target for the DNS wire codec: DecodeMessage on arbitrary bytes must not crash, and
// whatever decodes must re-encode to bytes that decode to the same message, encode to the same
// bytes again, and truncate to a size limit into a message that still decodes.
// Build: clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -Isrc
//        src/dns/wire_fuzz.cc src/dns/wire.cc src/dns/name.cc src/dns/record.cc -lfmt
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "dns/wire.h"

namespace {

using llms::dns::Message;
using llms::dns::ResourceRecord;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "wire_fuzz: %s\n", what);
    std::abort();
  }
}

bool SameRecords(const std::vector<ResourceRecord>& a, const std::vector<ResourceRecord>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!llms::dns::SameRecord(a[i], b[i]) || a[i].ttl != b[i].ttl) return false;
  }
  return true;
}

bool SameMessage(const Message& a, const Message& b) {
  if (a.id != b.id || a.qr != b.qr || a.opcode != b.opcode || a.aa != b.aa || a.tc != b.tc ||
      a.rd != b.rd || a.ra != b.ra || a.ad != b.ad || a.cd != b.cd || a.rcode != b.rcode ||
      a.question.size() != b.question.size()) {
    return false;
  }
  for (size_t i = 0; i < a.question.size(); ++i) {
    if (a.question[i].name != b.question[i].name || a.question[i].type != b.question[i].type ||
        a.question[i].qclass != b.question[i].qclass) {
      return false;
    }
  }
  return SameRecords(a.answer, b.answer) && SameRecords(a.authority, b.authority) &&
         SameRecords(a.additional, b.additional);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  llms::Result<Message> m = llms::dns::DecodeMessage({data, size});
  if (!m.ok()) return 0;

  const std::vector<uint8_t> encoded = llms::dns::EncodeMessage(*m);
  llms::Result<Message> again = llms::dns::DecodeMessage(encoded);
  Check(again.ok(), "re-encoded message does not decode");
  Check(SameMessage(*m, *again), "decode(encode(m)) differs from m");
  Check(llms::dns::EncodeMessage(*again) == encoded, "encoding is not stable");

  // Truncation to a limit taken from the input: the result still decodes, keeps a prefix of
  // each section, and sets TC whenever answer or authority records were lost.
  const size_t limit = 12 + (size >= 2 ? (data[0] << 8 | data[1]) % (encoded.size() + 1) : 0);
  const std::vector<uint8_t> cut = llms::dns::EncodeMessage(*m, limit);
  llms::Result<Message> small = llms::dns::DecodeMessage(cut);
  Check(small.ok(), "truncated message does not decode");
  Check(small->answer.size() <= m->answer.size(), "truncation added answers");
  Check(small->authority.size() <= m->authority.size(), "truncation added authority records");
  const bool lost =
      small->answer.size() < m->answer.size() || small->authority.size() < m->authority.size();
  Check(!lost || small->tc, "answer or authority records dropped without TC");
  Check(cut.size() == encoded.size() || small->tc == (m->tc || lost), "TC set without cause");
  bool only_opt = small->answer.empty() && small->authority.empty();
  for (const ResourceRecord& rr : small->additional) only_opt = only_opt && rr.type == 41;
  Check(cut.size() <= limit || only_opt, "truncated message exceeds the limit");
  return 0;
}
