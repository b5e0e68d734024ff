// Router: which live node a proxy sends a request for `model` to. Among the nodes serving the
// model that are not draining and not excluded (nodes this request already failed on, nodes the
// proxy saw fail), it takes the one with the fewest of the model's requests (waiting + running),
// counting a node where the model is not resident as if `switch_penalty` more were queued there
// (a switch before the first token: resident nodes are preferred, but not at any queue length),
// then the fewest requests in all; ties go round-robin (`turn`), so equal nodes share the load.
// The default penalty, 8, served the most models in the simulator's 8-node cluster
// (experiments/cluster-proxy-8x8.json: 208 models at >= 90% SLO attainment for Aegaeon, against
// 160 with no penalty and 176 with 2; docs/sim.md); 0 is pure least-queue balancing. One
// small class, so the cluster's proxy (cluster/proxy.h) and the simulator (a cluster of several
// nodes, cluster.routing "proxy") route alike.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "serving/node_info.h"

namespace llms::serving {

class Router {
 public:
  static constexpr int64_t kDefaultSwitchPenalty = 8;
  // The chosen node's index in `nodes`, or -1 when none qualifies.
  static int Route(const std::string& model, const std::vector<NodeInfo>& nodes,
                   const std::set<std::string>& exclude, uint64_t turn,
                   int64_t switch_penalty = kDefaultSwitchPenalty);
};

}  // namespace llms::serving
