// Request-level auto-scaling (ServerlessLLM-like) and its "plus" variant.
#include "serving/request_level_policy.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace llms::serving {

RequestLevelPolicy::RequestLevelPolicy(std::vector<ServedModel> models, const ClusterSpec& cluster,
                                       bool plus)
    : models_(std::move(models)),
      cluster_(cluster),
      plus_(plus),
      queues_(models_.size()),
      holder_(models_.size(), -1),
      inst_(static_cast<size_t>(cluster.instances)) {
  stats_.busy_s.assign(static_cast<size_t>(cluster.instances), 0.0);
  record_switches_ = cluster.record_switches;
}

int64_t RequestLevelPolicy::CapacityBlocks(int model) const {
  return KvCapacityBlocks(models_[static_cast<size_t>(model)], cluster_.instance_memory);
}

bool RequestLevelPolicy::Submit(ServingRequest* r, double /*now*/) {
  const ServedModel& m = models_[static_cast<size_t>(r->model)];
  if (ReservedBlocks(r) > CapacityBlocks(r->model)) {
    Reject(r, RejectReason::kTooLarge,
           fmt::format("prompt + max tokens ({} tokens, {} KV blocks) exceed the KV space of {} on "
                       "one instance ({} blocks of {} tokens)",
                       r->reserved_tokens(), ReservedBlocks(r), m.name, CapacityBlocks(r->model),
                       kKvBlockTokens));
    return false;
  }
  auto& q = queues_[static_cast<size_t>(r->model)];
  if (static_cast<int>(q.size()) >= cluster_.max_queue) {
    Reject(r, RejectReason::kQueueFull,
           fmt::format("the queue of {} is full ({} requests wait)", m.name, q.size()));
    return false;
  }
  q.push_back(r);
  if (holder_[static_cast<size_t>(r->model)] < 0) unheld_waiting_.insert(r->model);
  return true;
}

void RequestLevelPolicy::Withdraw(ServingRequest* r) {
  if (r->finished) return;
  auto& q = queues_[static_cast<size_t>(r->model)];
  if (auto it = std::find(q.begin(), q.end(), r); it != q.end()) {
    q.erase(it);
    if (q.empty()) unheld_waiting_.erase(r->model);
    RetireCancelled(r);
  }
  // A running request is ended by the executor at its next step.
}

double RequestLevelPolicy::ShortestRequestWork(int model) const {
  const LatencyPredictor& lat = *models_[static_cast<size_t>(model)].latency;
  double shortest = std::numeric_limits<double>::infinity();
  for (const ServingRequest* r : queues_[static_cast<size_t>(model)]) {
    const int len = r->prompt_tokens;
    shortest =
        std::min(shortest, lat.PrefillSeconds(std::span<const int>(&len, 1)) +
                               (r->max_output_tokens - 1) * lat.DecodeSeconds(r->context(), 1));
  }
  return shortest;
}

void RequestLevelPolicy::Assign() {
  if (unheld_waiting_.empty()) return;
  std::vector<int> free;
  for (size_t i = 0; i < inst_.size(); ++i) {
    if (inst_[i].serving < 0) free.push_back(static_cast<int>(i));
  }
  if (free.empty()) return;
  // Waiting models in the order they get instances.
  std::vector<std::pair<double, int>> order;
  for (int m : unheld_waiting_) {
    const double key =
        plus_ ? ShortestRequestWork(m) : queues_[static_cast<size_t>(m)].front()->arrival_s;
    order.push_back({key, m});
  }
  std::sort(order.begin(), order.end());
  for (const auto& [key, m] : order) {
    if (free.empty()) break;
    // The free instance holding m's weights, else the least recently used one.
    auto pick = std::find_if(free.begin(), free.end(),
                             [&](int i) { return inst_[static_cast<size_t>(i)].resident == m; });
    if (pick == free.end()) {
      pick = std::min_element(free.begin(), free.end(), [&](int a, int b) {
        return inst_[static_cast<size_t>(a)].last_used < inst_[static_cast<size_t>(b)].last_used;
      });
    }
    inst_[static_cast<size_t>(*pick)].serving = m;
    holder_[static_cast<size_t>(m)] = *pick;
    unheld_waiting_.erase(m);
    free.erase(pick);
  }
}

std::optional<Action> RequestLevelPolicy::Next(int instance, double now) {
  Instance& in = inst_[static_cast<size_t>(instance)];
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (in.serving < 0) Assign();
    if (in.serving < 0) return std::nullopt;
    const int m = in.serving;
    if (in.resident != m) {
      Action a = SwitchAction(m, in.resident);
      return a;
    }
    auto& q = queues_[static_cast<size_t>(m)];
    Action a;
    a.model = m;
    const size_t group = plus_ ? static_cast<size_t>(cluster_.max_decode_batch)
                               : static_cast<size_t>(cluster_.max_prefill_group);
    const int64_t capacity = CapacityBlocks(m);
    while (!q.empty() && a.requests.size() < group &&
           in.running.size() + a.requests.size() < static_cast<size_t>(cluster_.max_decode_batch) &&
           in.reserved_blocks + ReservedBlocks(q.front()) <= capacity) {
      ServingRequest* r = q.front();
      q.pop_front();
      if (r->cancel.raised()) {  // withdrawn while it waited
        RetireCancelled(r);
        continue;
      }
      in.reserved_blocks += ReservedBlocks(r);
      a.requests.push_back(r);
    }
    if (!a.requests.empty()) {
      a.kind = ActionKind::kPrefill;
      const ServedModel& sm = models_[static_cast<size_t>(m)];
      stats_.peak_memory_fraction = std::max(
          stats_.peak_memory_fraction,
          (sm.weight_bytes + static_cast<double>(in.reserved_blocks) * sm.kv_block_bytes()) /
              cluster_.instance_memory);
      return a;
    }
    if (!in.running.empty()) {
      a.kind = ActionKind::kDecode;
      a.requests = in.running;
      return a;
    }
    // The queue drained and the last request finished: the model lets the instance go.
    holder_[static_cast<size_t>(m)] = -1;
    in.serving = -1;
    in.last_used = now;
    if (!q.empty()) unheld_waiting_.insert(m);
  }
  return std::nullopt;
}

void RequestLevelPolicy::OnComplete(int instance, const Action& action,
                                    const ActionResult& /*result*/, double /*start*/, double end) {
  Instance& in = inst_[static_cast<size_t>(instance)];
  if (action.kind == ActionKind::kSwitch) {
    in.resident = action.model;
    return;
  }
  for (ServingRequest* r : action.requests) r->kv_on_instance = true;
  EmitTokens(action, end);
  if (action.kind == ActionKind::kPrefill) {
    for (ServingRequest* r : action.requests) in.running.push_back(r);
  }
  in.reserved_blocks -= RemoveDone(&in.running);
  in.last_used = end;
}

}  // namespace llms::serving
