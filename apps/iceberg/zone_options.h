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
  // The profile: the specification's defaults (or an engine's, set before Load()), then the
  // profile flags given on the command line.
  Profile profile;

  // Adds --zone and --origin to `app`.
  void Register(CLI::App* app);
  // Adds the profile flags (for the commands that apply the specification).
  void RegisterProfile(CLI::App* app);
  // The zone file parsed and validated; applies the profile flags given (if registered) to
  // `profile`.
  Result<dns::Zone> Load();

 private:
  bool minimal_ = false, apex_ns_ = false, no_chains_ = false, strict_glue_ = false,
       no_srv_additional_ = false;
  int max_chain_ = 0;
  std::string past_bound_, referral_glue_;
  CLI::Option *minimal_opt_ = nullptr, *apex_ns_opt_ = nullptr, *no_chains_opt_ = nullptr,
              *strict_glue_opt_ = nullptr, *max_chain_opt_ = nullptr,
              *no_srv_additional_opt_ = nullptr, *past_bound_opt_ = nullptr,
              *referral_glue_opt_ = nullptr;
};

}  // namespace llms::iceberg::cli
