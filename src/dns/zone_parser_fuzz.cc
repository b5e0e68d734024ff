// libFuzzer target for the zone-file parser: any input must parse or fail cleanly (no crash, no
// sanitizer report), and a zone that parses must survive ValidateZone and the text round trip
// (ParseZone(ZoneToText(z)) gives the same records with the same TTLs). Built outside CMake:
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -Isrc src/dns/zone_parser_fuzz.cc
//   \
//     src/dns/zone_parser.cc src/dns/name.cc src/dns/record.cc src/dns/wire.cc -lfmt -o
//     /tmp/zone_parser_fuzz
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "dns/zone_parser.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "zone_parser_fuzz: %s\n%s\n", what, detail.c_str());
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace llms::dns;
  static const Name kOrigin = *Name::Parse("example.com.");
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto zone = ParseZone(text, kOrigin, "fuzz");
  if (!zone.ok()) {
    if (zone.message().rfind("fuzz:", 0) != 0) Fail("an error without SOURCE:LINE", zone.message());
    return 0;
  }
  (void)ValidateZone(*zone);
  const std::string written = ZoneToText(*zone);
  const auto again = ParseZone(written, kOrigin, "round-trip");
  if (!again.ok()) Fail("ZoneToText output does not parse", again.message() + "\n" + written);
  if (again->records.size() != zone->records.size()) Fail("record count changed", written);
  for (size_t i = 0; i < zone->records.size(); ++i) {
    const ResourceRecord& a = zone->records[i];
    const ResourceRecord& b = again->records[i];
    if (!SameRecord(a, b) || a.ttl != b.ttl) {
      Fail("record changed", RecordToString(a) + "\n" + RecordToString(b));
    }
  }
  return 0;
}
