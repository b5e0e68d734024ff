// Grouped FCFS prefill placement.
#include "serving/prefill_dispatcher.h"

#include <limits>

namespace llms::serving {

PrefillDispatcher::PrefillDispatcher(int instances, PrefillPredictor prefill,
                                     SwitchPredictor switch_cost, int max_group,
                                     KvCapacity kv_capacity)
    : prefill_(std::move(prefill)),
      switch_(std::move(switch_cost)),
      max_group_(max_group),
      kv_capacity_(std::move(kv_capacity)),
      instances_(static_cast<size_t>(instances)) {}

double PrefillDispatcher::Load(int instance) const {
  const Instance& in = instances_[static_cast<size_t>(instance)];
  double load = in.running_s;
  int model = in.resident;
  for (const PrefillGroup& g : in.queue) {
    if (g.model != model) load += switch_(g.model);
    model = g.model;
    std::vector<int> lengths;
    for (const auto& r : g.requests) lengths.push_back(r.prompt_tokens);
    load += prefill_(g.model, lengths);
  }
  return load;
}

size_t PrefillDispatcher::queued_groups(int instance) const {
  return instances_[static_cast<size_t>(instance)].queue.size();
}

PrefillPlacement PrefillDispatcher::Submit(const PrefillRequest& request) {
  // Join an open group of the same model, on the least-loaded instance that has one.
  int best = -1;
  PrefillGroup* best_group = nullptr;
  double best_load = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < instances_.size(); ++i) {
    for (PrefillGroup& g : instances_[i].queue) {
      const bool room =
          static_cast<int>(g.requests.size()) < max_group_ &&
          (!kv_capacity_ || g.kv_blocks + request.kv_blocks <= kv_capacity_(request.model));
      if (g.model == request.model && room) {
        const double load = Load(static_cast<int>(i));
        if (load < best_load) {
          best = static_cast<int>(i);
          best_group = &g;
          best_load = load;
        }
        break;  // the earliest open group of this model on this instance
      }
    }
  }
  if (best_group) {
    best_group->requests.push_back(request);
    best_group->kv_blocks += request.kv_blocks;
    return {best, false};
  }
  // Otherwise a new group on the least-loaded instance (lowest index on ties).
  best = 0;
  best_load = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < instances_.size(); ++i) {
    const double load = Load(static_cast<int>(i));
    if (load < best_load) {
      best = static_cast<int>(i);
      best_load = load;
    }
  }
  instances_[static_cast<size_t>(best)].queue.push_back(
      {request.model, {request}, request.kv_blocks});
  return {best, true};
}

bool PrefillDispatcher::Remove(uint64_t id) {
  for (Instance& in : instances_) {
    for (auto g = in.queue.begin(); g != in.queue.end(); ++g) {
      for (auto r = g->requests.begin(); r != g->requests.end(); ++r) {
        if (r->id != id) continue;
        g->kv_blocks -= r->kv_blocks;
        g->requests.erase(r);
        if (g->requests.empty()) in.queue.erase(g);
        return true;
      }
    }
  }
  return false;
}

std::optional<PrefillGroup> PrefillDispatcher::NextGroup(int instance) {
  Instance& in = instances_[static_cast<size_t>(instance)];
  if (in.queue.empty()) return std::nullopt;
  PrefillGroup g = std::move(in.queue.front());
  in.queue.pop_front();
  return g;
}

std::optional<int> PrefillDispatcher::QueuedModel(int instance, size_t position) const {
  const PrefillGroup* g = QueuedGroup(instance, position);
  if (!g) return std::nullopt;
  return g->model;
}

const PrefillGroup* PrefillDispatcher::QueuedGroup(int instance, size_t position) const {
  const Instance& in = instances_[static_cast<size_t>(instance)];
  return position < in.queue.size() ? &in.queue[position] : nullptr;
}

void PrefillDispatcher::SetRunning(int instance, double seconds) {
  instances_[static_cast<size_t>(instance)].running_s = seconds;
}

void PrefillDispatcher::SetResident(int instance, int model) {
  instances_[static_cast<size_t>(instance)].resident = model;
}

}  // namespace llms::serving
