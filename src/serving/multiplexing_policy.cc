// Static multiplexing (MuxServe-like) and dedicated instances.
#include "serving/multiplexing_policy.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

namespace llms::serving {

MultiplexingPolicy::MultiplexingPolicy(std::vector<ServedModel> models, const ClusterSpec& cluster,
                                       bool dedicated)
    : models_(std::move(models)),
      cluster_(cluster),
      placement_(models_.size(), -1),
      state_(models_.size()),
      inst_(static_cast<size_t>(cluster.instances)) {
  stats_.busy_s.assign(static_cast<size_t>(cluster.instances), 0.0);
  record_switches_ = cluster.record_switches;
  std::vector<int> order(models_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return models_[static_cast<size_t>(a)].weight_bytes >
           models_[static_cast<size_t>(b)].weight_bytes;
  });
  const double reserve = dedicated ? 0.0 : cluster.multiplex_kv_reserve;
  for (int m : order) {
    const ServedModel& sm = models_[static_cast<size_t>(m)];
    // Among the instances where it fits, the one with the fewest models (then the most free
    // memory, then the lowest index): load spreads over the pool as MuxServe's placement does.
    int best = -1;
    for (size_t i = 0; i < inst_.size(); ++i) {
      const Instance& in = inst_[i];
      const double need =
          in.weight_bytes + sm.weight_bytes + reserve * static_cast<double>(in.models.size() + 1);
      if ((dedicated && !in.models.empty()) || need > cluster.instance_memory) continue;
      if (best < 0) {
        best = static_cast<int>(i);
        continue;
      }
      const Instance& b = inst_[static_cast<size_t>(best)];
      if (in.models.size() < b.models.size() ||
          (in.models.size() == b.models.size() && in.weight_bytes < b.weight_bytes)) {
        best = static_cast<int>(i);
      }
    }
    if (best < 0) continue;
    Instance& in = inst_[static_cast<size_t>(best)];
    in.models.push_back(m);
    in.weight_bytes += sm.weight_bytes;
    placement_[static_cast<size_t>(m)] = best;
  }
  // The KV memory left on each instance is split evenly among its models.
  for (const Instance& in : inst_) {
    if (in.models.empty()) continue;
    const double kv_share =
        (cluster.instance_memory - in.weight_bytes) / static_cast<double>(in.models.size());
    for (int m : in.models) {
      const ServedModel& sm = models_[static_cast<size_t>(m)];
      state_[static_cast<size_t>(m)].kv_capacity_blocks = static_cast<int64_t>(
          std::max(0.0, kv_share - sm.instance_overhead_bytes) / sm.kv_block_bytes());
    }
    stats_.peak_memory_fraction =
        std::max(stats_.peak_memory_fraction, in.weight_bytes / cluster.instance_memory);
  }
}

bool MultiplexingPolicy::Submit(ServingRequest* r, double /*now*/) {
  const ServedModel& m = models_[static_cast<size_t>(r->model)];
  ModelState& s = state_[static_cast<size_t>(r->model)];
  if (placement_[static_cast<size_t>(r->model)] < 0) {
    Reject(r, RejectReason::kNotPlaced,
           fmt::format("{} fits on no instance beside the models placed before it", m.name));
    return false;
  }
  if (ReservedBlocks(r) > s.kv_capacity_blocks) {
    Reject(r, RejectReason::kTooLarge,
           fmt::format("prompt + max tokens ({} tokens, {} KV blocks) exceed the KV share of {} "
                       "({} blocks of {} tokens)",
                       r->reserved_tokens(), ReservedBlocks(r), m.name, s.kv_capacity_blocks,
                       kKvBlockTokens));
    return false;
  }
  if (static_cast<int>(s.queue.size()) >= cluster_.max_queue) {
    Reject(r, RejectReason::kQueueFull,
           fmt::format("the queue of {} is full ({} requests wait)", m.name, s.queue.size()));
    return false;
  }
  s.queue.push_back(r);
  return true;
}

void MultiplexingPolicy::Withdraw(ServingRequest* r) {
  if (r->finished) return;
  auto& q = state_[static_cast<size_t>(r->model)].queue;
  if (auto it = std::find(q.begin(), q.end(), r); it != q.end()) {
    q.erase(it);
    RetireCancelled(r);
  }
}

std::optional<Action> MultiplexingPolicy::Next(int instance, double /*now*/) {
  Instance& in = inst_[static_cast<size_t>(instance)];
  // Prefill first: the model whose oldest waiting request that fits arrived first.
  int best = -1;
  for (int m : in.models) {
    const ModelState& s = state_[static_cast<size_t>(m)];
    if (s.queue.empty() ||
        s.reserved_blocks + ReservedBlocks(s.queue.front()) > s.kv_capacity_blocks ||
        static_cast<int>(s.running.size()) >= cluster_.max_decode_batch) {
      continue;
    }
    if (best < 0 ||
        s.queue.front()->arrival_s < state_[static_cast<size_t>(best)].queue.front()->arrival_s) {
      best = m;
    }
  }
  Action a;
  if (best >= 0) {
    ModelState& s = state_[static_cast<size_t>(best)];
    a.kind = ActionKind::kPrefill;
    a.model = best;
    while (!s.queue.empty() && static_cast<int>(a.requests.size()) < cluster_.max_prefill_group &&
           static_cast<int>(s.running.size() + a.requests.size()) < cluster_.max_decode_batch &&
           s.reserved_blocks + ReservedBlocks(s.queue.front()) <= s.kv_capacity_blocks) {
      ServingRequest* r = s.queue.front();
      s.queue.pop_front();
      if (r->cancel.raised()) {  // withdrawn while it waited
        RetireCancelled(r);
        continue;
      }
      s.reserved_blocks += ReservedBlocks(r);
      a.requests.push_back(r);
    }
    if (!a.requests.empty()) return a;
  }
  // Otherwise one decode step of the next model (round-robin) with running requests.
  for (size_t k = 0; k < in.models.size(); ++k) {
    const size_t pos = (in.cursor + k) % in.models.size();
    const int m = in.models[pos];
    const ModelState& s = state_[static_cast<size_t>(m)];
    if (s.running.empty()) continue;
    in.cursor = pos + 1;
    a.kind = ActionKind::kDecode;
    a.model = m;
    a.requests = s.running;
    return a;
  }
  return std::nullopt;
}

void MultiplexingPolicy::OnComplete(int /*instance*/, const Action& action,
                                    const ActionResult& /*result*/, double /*start*/, double end) {
  ModelState& s = state_[static_cast<size_t>(action.model)];
  for (ServingRequest* r : action.requests) r->kv_on_instance = true;
  EmitTokens(action, end);
  if (action.kind == ActionKind::kPrefill) {
    for (ServingRequest* r : action.requests) s.running.push_back(r);
  }
  s.reserved_blocks -= RemoveDone(&s.running);
}

}  // namespace llms::serving
