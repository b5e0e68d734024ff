// Random well-formed zones for campaigns and benchmarks: a tree of names under the apex (so empty
// non-terminals appear), then at the names delegations with glue, wildcards, DNAMEs (into the
// zone and out of it), CNAME chains (including loops and dangling targets), and address, MX, SRV
// and TXT data whose targets lie in and out of the zone. Every zone passes ValidateZone; a seed
// gives the same zone on every machine.
#pragma once

#include <cstdint>

#include "dns/zone_parser.h"

namespace llms::iceberg {

struct GeneratorOptions {
  int names = 12;  // names created under the apex (each gets records, or stays a non-terminal)
  dns::Name origin = *dns::Name::Parse("example.");
  // Target names (of CNAME, DNAME, NS, MX, SRV records) may hold a '*' label. Off: they never do,
  // for engines that refuse such names (YADIFA rejects them in MX, SRV and NS); the zones of a seed
  // then differ from those with it on.
  bool star_in_targets = true;
};

dns::Zone GenerateZone(uint64_t seed, const GeneratorOptions& options = GeneratorOptions());

}  // namespace llms::iceberg
