// Cluster membership through Redis. A node's record lives under `PREFIX:node:NAME` (its NodeInfo
// as JSON) with a time to live of 3/4 of the lease, renewed every quarter lease by the node's
// heartbeat, and its name in the set `PREFIX:nodes`; a clean shutdown deletes both. A node that
// dies or stalls stops renewing, its record expires, and within a quarter lease more every proxy
// polling the set has dropped it: a lost node leaves every proxy's view within one lease. Proxies
// keep the membership they last read while Redis is unreachable, and nodes write their whole
// record with every beat, so a restarted Redis is repopulated within a quarter lease.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/redis_client.h"
#include "serving/node_info.h"

namespace llms::cluster {

using serving::ModelLoad;
using serving::NodeInfo;
using serving::NodeInfoJson;
using serving::ParseNodeInfo;

struct ClusterOptions {
  RedisAddress redis;
  double lease_s = 2.0;
  std::string prefix = "aegaeon";
  std::string NodeKey(const std::string& name) const { return prefix + ":node:" + name; }
  std::string NodesKey() const { return prefix + ":nodes"; }
};

// The node side: a thread writing `snapshot()` every quarter lease until Stop() (or destruction),
// which deregisters. Redis being away is logged once per outage through `say`, never fatal.
class NodeHeartbeat {
 public:
  NodeHeartbeat(ClusterOptions options, std::function<NodeInfo()> snapshot,
                std::function<void(const std::string&)> say);
  ~NodeHeartbeat();
  // Registers at once (an error when Redis cannot be reached, so a misconfigured node says so at
  // start) and starts beating.
  Status Start();
  // Stops beating and deletes the node's record.
  void Stop();

 private:
  Status Beat();
  void Loop();
  ClusterOptions options_;
  std::function<NodeInfo()> snapshot_;
  std::function<void(const std::string&)> say_;
  RedisClient redis_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false, outage_ = false;
  std::string name_;
  std::thread thread_;
};

// The proxy side: the live nodes as last read from Redis, refreshed every quarter lease by a
// thread; nodes the proxy itself saw fail (MarkFailed) are left out until they beat again.
class ClusterView {
 public:
  ClusterView(ClusterOptions options, std::function<void(const std::string&)> say);
  ~ClusterView();
  // Reads the membership once (an error when Redis cannot be reached) and starts refreshing.
  Status Start();
  // The nodes to route to: listed, and not seen failing since their last beat.
  std::vector<NodeInfo> Nodes() const;
  // Whether `node` is in the membership as last read (its lease holds), failing or not: while it
  // is, requests already running there are left to finish (a node that refuses connections may
  // only be draining).
  bool Listed(const std::string& node) const;
  // The proxy could not reach `node`, or lost it mid-request: route nothing there until a
  // heartbeat newer than now arrives.
  void MarkFailed(const std::string& node, const std::string& why);
  // Nodes dropped from the view so far (expired or failed).
  int64_t losses() const { return losses_; }
  bool redis_reachable() const { return reachable_; }
  const ClusterOptions& options() const { return options_; }

 private:
  Status Refresh();
  void Loop();
  ClusterOptions options_;
  std::function<void(const std::string&)> say_;
  RedisClient redis_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<NodeInfo> nodes_;
  std::map<std::string, int64_t> failed_;  // node -> its heartbeat_ms when it was marked failed
  std::atomic<int64_t> losses_{0};
  std::atomic<bool> reachable_{false};
  std::thread thread_;
};

int64_t WallMillis();

}  // namespace llms::cluster
