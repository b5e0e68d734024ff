// The options `aegaeon serve` and `aegaeon proxy` share to find their cluster: --cluster (the
// Redis server), --lease and --cluster-prefix, registered and parsed in one place.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cluster/membership.h"
#include "core/status.h"

namespace llms::aegaeon::cli {

struct ClusterArgs {
  std::string url;  // redis://HOST:PORT; empty: no cluster
  cluster::ClusterOptions options;

  // Parses `url` into options.redis (nothing to do when it is empty).
  Status Resolve() {
    if (url.empty()) return Status::Ok();
    auto address = cluster::ParseRedisUrl(url);
    if (!address.ok()) return address.status();
    options.redis = *address;
    return Status::Ok();
  }
};

// Registers --cluster (described by `cluster_help`), --lease and --cluster-prefix; returns the
// --cluster option (a proxy marks it required).
inline CLI::Option* AddClusterOptions(CLI::App* app, ClusterArgs* a,
                                      const std::string& cluster_help) {
  CLI::Option* cluster = app->add_option("--cluster", a->url, cluster_help);
  app->add_option("--lease", a->options.lease_s,
                  "seconds a node stays listed without a heartbeat; nodes beat and proxies read "
                  "the membership every quarter of it (default 2; give nodes and proxies the same)")
      ->check(CLI::PositiveNumber);
  app->add_option("--cluster-prefix", a->options.prefix,
                  "prefix of the cluster's Redis keys (default aegaeon)");
  return cluster;
}

}  // namespace llms::aegaeon::cli
