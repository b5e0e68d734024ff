// Heartbeats and the proxies' view of the nodes.
#include "cluster/membership.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace llms::cluster {

int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

std::chrono::milliseconds Quarter(double lease_s) {
  return std::chrono::milliseconds(std::max<int64_t>(10, static_cast<int64_t>(lease_s * 250)));
}

}  // namespace

NodeHeartbeat::NodeHeartbeat(ClusterOptions options, std::function<NodeInfo()> snapshot,
                             std::function<void(const std::string&)> say)
    : options_(std::move(options)),
      snapshot_(std::move(snapshot)),
      say_(std::move(say)),
      redis_(options_.redis, std::min(1.0, options_.lease_s / 4)) {}

NodeHeartbeat::~NodeHeartbeat() {
  Stop();
}

Status NodeHeartbeat::Beat() {
  NodeInfo n = snapshot_();
  n.heartbeat_ms = WallMillis();
  n.lease_ms = static_cast<int64_t>(options_.lease_s * 1000);
  name_ = n.name;
  const std::string ttl = std::to_string(std::max<int64_t>(1, n.lease_ms * 3 / 4));
  auto set = redis_.Command({"SET", options_.NodeKey(n.name), NodeInfoJson(n), "PX", ttl});
  if (!set.ok()) return set.status();
  auto add = redis_.Command({"SADD", options_.NodesKey(), n.name});
  if (!add.ok()) return add.status();
  return Status::Ok();
}

Status NodeHeartbeat::Start() {
  if (Status s = Beat(); !s.ok()) return s;
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void NodeHeartbeat::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, Quarter(options_.lease_s), [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    const Status s = Beat();
    lock.lock();
    if (!s.ok() && !outage_) {
      outage_ = true;
      if (say_) say_("cluster: heartbeat failed (retrying every quarter lease): " + s.message());
    } else if (s.ok() && outage_) {
      outage_ = false;
      if (say_) say_("cluster: Redis is back; the node is registered again");
    }
  }
}

void NodeHeartbeat::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!name_.empty()) {
    (void)redis_.Command({"DEL", options_.NodeKey(name_)});
    (void)redis_.Command({"SREM", options_.NodesKey(), name_});
  }
}

ClusterView::ClusterView(ClusterOptions options, std::function<void(const std::string&)> say)
    : options_(std::move(options)),
      say_(std::move(say)),
      redis_(options_.redis, std::min(1.0, options_.lease_s / 4)) {}

ClusterView::~ClusterView() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status ClusterView::Start() {
  if (Status s = Refresh(); !s.ok()) return s;
  reachable_ = true;
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

Status ClusterView::Refresh() {
  auto members = redis_.Command({"SMEMBERS", options_.NodesKey()});
  if (!members.ok()) return members.status();
  std::vector<std::string> names;
  for (const RedisReply& e : members->elements) names.push_back(e.str);
  std::sort(names.begin(), names.end());
  std::vector<NodeInfo> nodes;
  if (!names.empty()) {
    std::vector<std::string> args = {"MGET"};
    for (const std::string& n : names) args.push_back(options_.NodeKey(n));
    auto records = redis_.Command(args);
    if (!records.ok()) return records.status();
    for (size_t i = 0; i < names.size() && i < records->elements.size(); ++i) {
      const RedisReply& r = records->elements[i];
      if (r.type != RedisReply::Type::kString) {
        // Expired: the node stopped beating. Tidy the set (any proxy may; it is idempotent).
        (void)redis_.Command({"SREM", options_.NodesKey(), names[i]});
        continue;
      }
      auto info = ParseNodeInfo(r.str);
      if (info.ok()) nodes.push_back(std::move(*info));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const NodeInfo& old : nodes_) {
    const bool still = std::any_of(nodes.begin(), nodes.end(),
                                   [&](const NodeInfo& n) { return n.name == old.name; });
    if (!still && !failed_.count(old.name)) {
      ++losses_;
      if (say_) say_("cluster: node " + old.name + " left (its lease expired or it deregistered)");
    }
  }
  for (auto it = failed_.begin(); it != failed_.end();) {
    const auto n = std::find_if(nodes.begin(), nodes.end(),
                                [&](const NodeInfo& x) { return x.name == it->first; });
    // Back once it beats again after the failure (or gone from Redis: forget it).
    if (n == nodes.end() || n->heartbeat_ms > it->second) {
      it = failed_.erase(it);
    } else {
      ++it;
    }
  }
  nodes_ = std::move(nodes);
  return Status::Ok();
}

void ClusterView::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, Quarter(options_.lease_s), [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    const Status s = Refresh();
    const bool was = reachable_.exchange(s.ok());
    if (!s.ok() && was && say_) {
      say_("cluster: cannot read the membership (serving with the nodes last seen): " +
           s.message());
    } else if (s.ok() && !was && say_) {
      say_("cluster: Redis is reachable again");
    }
    lock.lock();
  }
}

std::vector<NodeInfo> ClusterView::Nodes() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<NodeInfo> out;
  for (const NodeInfo& n : nodes_) {
    if (!failed_.count(n.name)) out.push_back(n);
  }
  return out;
}

bool ClusterView::Listed(const std::string& node) const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::any_of(nodes_.begin(), nodes_.end(),
                     [&](const NodeInfo& n) { return n.name == node; });
}

void ClusterView::MarkFailed(const std::string& node, const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (failed_.count(node)) return;
  int64_t beat = 0;
  for (const NodeInfo& n : nodes_) {
    if (n.name == node) beat = n.heartbeat_ms;
  }
  failed_[node] = beat;
  ++losses_;
  if (say_) {
    say_("cluster: node " + node + " failed (" + why + "); routing around it until it beats again");
  }
}

}  // namespace llms::cluster
