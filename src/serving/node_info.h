// NodeInfo: what one serving node tells the cluster about itself through Redis, renewed with
// every heartbeat: where it answers, the models it serves with how many of each model's requests
// wait and run there and whether the model is resident on one of its instances, whether it is
// draining, and when it last beat. Kept as JSON under the node's key (cluster/membership.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace llms::serving {

struct ModelLoad {
  std::string name;
  bool resident = false;  // its weights are on one of the node's instances now
  int64_t waiting = 0;    // requests with no token yet
  int64_t running = 0;    // requests decoding
  int max_model_len = 0;  // tokens one request may span there (/v1/models' field)
};

struct NodeInfo {
  std::string name;
  std::string url;  // http://HOST:PORT, where proxies send its requests
  std::vector<ModelLoad> models;
  int instances = 0;
  bool draining = false;     // finishing what it has; takes nothing new
  int64_t heartbeat_ms = 0;  // the node's wall clock at the beat (milliseconds since the epoch)
  int64_t lease_ms = 0;

  const ModelLoad* Find(const std::string& model) const;
  int64_t queued() const;  // waiting + running over every model
};

std::string NodeInfoJson(const NodeInfo& n);
Result<NodeInfo> ParseNodeInfo(const std::string& json);

}  // namespace llms::serving
