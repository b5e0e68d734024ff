// Zone and profile options (see zone_options.h).
#include "zone_options.h"

namespace llms::iceberg::cli {

void ZoneOptions::Register(CLI::App* app) {
  app->add_option("--zone", zone_file, "the zone's master file (RFC 1035 §5)")->required();
  app->add_option("--origin", origin, "the zone's apex, e.g. example.com.")->required();
}

void ZoneOptions::RegisterProfile(CLI::App* app) {
  minimal_opt_ =
      app->add_flag("--minimal", minimal_,
                    "profile: no additional-section addresses for answers (minimal responses)");
  apex_ns_opt_ = app->add_flag("--apex-ns", apex_ns_,
                               "profile: positive answers carry the apex NS in authority");
  no_chains_opt_ =
      app->add_flag("--no-chains", no_chains_, "profile: do not follow CNAMEs within the zone");
  max_chain_opt_ =
      app->add_option("--max-chain", max_chain_,
                      "profile: the engine's bound on aliases (CNAMEs, DNAME substitutions) "
                      "followed in one answer; 0: none (the default: chains end, loop or "
                      "outgrow 255 octets)")
          ->check(CLI::NonNegativeNumber);
  past_bound_opt_ =
      app->add_option("--past-bound", past_bound_,
                      "profile: the alias past --max-chain: cut (in the answer, not followed; "
                      "the default), omit (the answer ends before it: Knot, YADIFA), "
                      "servfail-with-chain (BIND) or servfail (PowerDNS)")
          ->check(CLI::IsMember({"cut", "omit", "servfail-with-chain", "servfail"}));
  referral_glue_opt_ =
      app->add_option("--referral-glue", referral_glue_,
                      "profile: addresses in a referral's additional section: all (every NS "
                      "target in the zone; the default), glue (targets below any cut: BIND) or "
                      "cut (only targets below the referral's cut)")
          ->check(CLI::IsMember({"all", "glue", "cut"}));
  strict_glue_opt_ =
      app->add_flag("--strict-glue", strict_glue_,
                    "profile: referrals carry only glue below the cut (--referral-glue cut)")
          ->excludes(referral_glue_opt_);
  no_srv_additional_opt_ =
      app->add_flag("--no-srv-additional", no_srv_additional_,
                    "profile: no additional-section addresses for SRV targets (RFC 2782 allows)");
}

Result<dns::Zone> ZoneOptions::Load() {
  if (minimal_opt_) {  // registered with the profile flags
    if (minimal_opt_->count()) profile.additional_for_answers = !minimal_;
    if (apex_ns_opt_->count()) profile.apex_ns_in_positive_answers = apex_ns_;
    if (no_chains_opt_->count()) profile.follow_chains = !no_chains_;
    if (max_chain_opt_->count()) profile.max_chain = max_chain_;
    if (past_bound_opt_->count()) {
      using B = Profile::PastBound;
      profile.past_bound = past_bound_ == "omit"                  ? B::kOmit
                           : past_bound_ == "servfail-with-chain" ? B::kServfailWithChain
                           : past_bound_ == "servfail"            ? B::kServfail
                                                                  : B::kCut;
    }
    using G = Profile::ReferralGlue;
    if (strict_glue_opt_->count() && strict_glue_) profile.referral_glue = G::kBelowCut;
    if (referral_glue_opt_->count()) {
      profile.referral_glue = referral_glue_ == "glue"  ? G::kGlue
                              : referral_glue_ == "cut" ? G::kBelowCut
                                                        : G::kAll;
    }
    if (no_srv_additional_opt_->count()) profile.additional_for_srv = !no_srv_additional_;
  }
  std::string o = origin;
  if (o.empty() || o.back() != '.') o += '.';
  auto apex = dns::Name::Parse(o);
  if (!apex.ok()) return Status::Error("--origin: " + apex.message());
  auto zone = dns::ParseZoneFile(zone_file, *apex);
  if (!zone.ok()) return zone.status();
  if (Status s = dns::ValidateZone(*zone); !s.ok()) {
    return Status::Error(zone_file + ": " + s.message());
  }
  return zone;
}

}  // namespace llms::iceberg::cli
