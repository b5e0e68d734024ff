// Grouped FCFS prefill placement.
#include "serving/prefill_dispatcher.h"

#include <limits>

namespace llms::serving {

PrefillDispatcher::PrefillDispatcher(int instances, PrefillPredictor prefill,
                                     SwitchPredictor switch_cost, int max_group)
    : prefill_(std::move(prefill)),
      switch_(std::move(switch_cost)),
      max_group_(max_group),
      instances_(static_cast<size_t>(instances)) {}

double PrefillDispatcher::Load(int instance) const {
  const Instance& in = instances_[static_cast<size_t>(instance)];
  double load = in.running_s;
  std::string model = in.resident;
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
      if (g.model == request.model && static_cast<int>(g.requests.size()) < max_group_) {
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
  instances_[static_cast<size_t>(best)].queue.push_back({request.model, {request}});
  return {best, true};
}

std::optional<PrefillGroup> PrefillDispatcher::NextGroup(int instance) {
  Instance& in = instances_[static_cast<size_t>(instance)];
  if (in.queue.empty()) return std::nullopt;
  PrefillGroup g = std::move(in.queue.front());
  in.queue.pop_front();
  return g;
}

std::optional<std::string> PrefillDispatcher::QueuedModel(int instance, size_t position) const {
  const Instance& in = instances_[static_cast<size_t>(instance)];
  if (in.queue.size() <= position) return std::nullopt;
  return in.queue[position].model;
}

void PrefillDispatcher::SetRunning(int instance, double seconds) {
  instances_[static_cast<size_t>(instance)].running_s = seconds;
}

void PrefillDispatcher::SetResident(int instance, const std::string& model) {
  instances_[static_cast<size_t>(instance)].resident = model;
}

}  // namespace llms::serving
