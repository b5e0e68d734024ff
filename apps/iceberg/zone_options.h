// Options every iceberg subcommand that reads a zone shares: --zone, --origin and the
// specification's profile switches; Load() parses and validates the zone.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "core/status.h"
#include "dns/zone_parser.h"
#include "iceberg/spec.h"

namespace llms::iceberg::cli {

struct ZoneOptions {
  std::string zone_file, origin;
  Profile profile;
  bool minimal = false, apex_ns = false, no_chains = false, strict_glue = false;

  // Adds --zone, --origin and the profile flags to `app`.
  void Register(CLI::App* app);
  // The zone file parsed and validated, with the profile set from the flags.
  Result<dns::Zone> Load();
};

}  // namespace llms::iceberg::cli
