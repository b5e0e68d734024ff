// The discrete-event loop: arrivals and action completions in time order, over one node or many.
#include "sim/simulation.h"

#include <algorithm>
#include <limits>
#include <queue>

namespace llms::sim {

SimulationOutcome Simulate(serving::Policy& policy,
                           std::vector<std::unique_ptr<serving::Executor>>& executors,
                           std::vector<serving::ServingRequest>& requests, VirtualClock& clock,
                           double stop_s) {
  return SimulateCluster({{&policy, &executors}}, requests, clock, stop_s, 0, nullptr, 0);
}

SimulationOutcome SimulateCluster(std::vector<SimNode> nodes,
                                  std::vector<serving::ServingRequest>& requests,
                                  VirtualClock& clock, double stop_s, int num_models,
                                  const SimRouteFn& route, double refresh_s) {
  // Instances are numbered across the nodes: node k's instance i is first[k] + i.
  std::vector<int> first, node_of;
  for (size_t k = 0; k < nodes.size(); ++k) {
    first.push_back(static_cast<int>(node_of.size()));
    for (int i = 0; i < nodes[k].policy->instances(); ++i) node_of.push_back(static_cast<int>(k));
  }
  const int n = static_cast<int>(node_of.size());
  struct Running {
    serving::Action action;
    serving::ActionResult result;
    double start = 0;
    bool busy = false;
  };
  std::vector<Running> running(static_cast<size_t>(n));
  using Event = std::pair<double, int>;  // (time, instance)
  std::priority_queue<Event, std::vector<Event>, std::greater<>> completions;
  SimulationOutcome out;
  size_t next_arrival = 0;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // The routing state: each node's live requests and its instances' models.
  const bool routed = nodes.size() > 1 && route;
  std::vector<std::vector<serving::ServingRequest*>> live(nodes.size());
  std::vector<SimNodeState> states(nodes.size());
  for (size_t k = 0; k < nodes.size(); ++k) {
    states[k].waiting.assign(static_cast<size_t>(num_models), 0);
    states[k].running.assign(static_cast<size_t>(num_models), 0);
    states[k].instance_model.assign(static_cast<size_t>(nodes[k].policy->instances()), -1);
    states[k].routed.assign(static_cast<size_t>(num_models), 0);
  }
  std::vector<std::vector<int>> instance_model = [&] {
    std::vector<std::vector<int>> m;
    for (const auto& s : states) m.push_back(s.instance_model);
    return m;
  }();
  double next_refresh = 0;
  auto refresh = [&](double now) {
    if (!routed || now < next_refresh) return;
    next_refresh = now + refresh_s;
    for (size_t k = 0; k < nodes.size(); ++k) {
      SimNodeState& s = states[k];
      std::fill(s.waiting.begin(), s.waiting.end(), 0);
      std::fill(s.running.begin(), s.running.end(), 0);
      std::fill(s.routed.begin(), s.routed.end(), 0);
      auto& l = live[k];
      l.erase(std::remove_if(l.begin(), l.end(),
                             [](const serving::ServingRequest* r) { return r->done(); }),
              l.end());
      for (const serving::ServingRequest* r : l) {
        (r->generated == 0 ? s.waiting : s.running)[static_cast<size_t>(r->model)] += 1;
      }
      s.instance_model = instance_model[k];
    }
  };

  auto dispatch = [&](double now) {
    // Keep asking until no idle instance starts anything: one instance's decision (a model
    // released, an assignment) can give another one work at the same instant.
    for (bool progress = true; progress;) {
      progress = false;
      for (int g = 0; g < n; ++g) {
        Running& r = running[static_cast<size_t>(g)];
        if (r.busy) continue;
        const int k = node_of[static_cast<size_t>(g)];
        const int i = g - first[static_cast<size_t>(k)];
        auto action = nodes[static_cast<size_t>(k)].policy->Next(i, now);
        if (!action) continue;
        r.action = std::move(*action);
        r.result =
            (*nodes[static_cast<size_t>(k)].executors)[static_cast<size_t>(i)]->Run(r.action);
        r.start = now;
        r.busy = true;
        completions.push({now + r.result.seconds, g});
        progress = true;
      }
    }
  };

  while (true) {
    const double t_arrival =
        next_arrival < requests.size() ? requests[next_arrival].arrival_s : kInf;
    const double t_done = completions.empty() ? kInf : completions.top().first;
    const double t = std::min(t_arrival, t_done);
    if (t == kInf || t > stop_s) break;
    clock.AdvanceTo(t);
    ++out.events;
    out.end_s = t;
    if (t_done <= t_arrival) {
      const int g = completions.top().second;
      completions.pop();
      Running& r = running[static_cast<size_t>(g)];
      r.busy = false;
      const int k = node_of[static_cast<size_t>(g)];
      const int i = g - first[static_cast<size_t>(k)];
      if (r.action.kind == serving::ActionKind::kSwitch) {
        instance_model[static_cast<size_t>(k)][static_cast<size_t>(i)] = r.action.model;
      }
      nodes[static_cast<size_t>(k)].policy->Complete(i, r.action, r.result, r.start, t);
    } else {
      serving::ServingRequest* q = &requests[next_arrival++];
      size_t k = 0;
      if (routed) {
        refresh(t);
        k = static_cast<size_t>(std::max(0, route(*q, states)));
        live[k].push_back(q);
      }
      nodes[k].policy->Submit(q, t);
    }
    dispatch(t);
  }
  for (auto& r : requests) {
    if (!r.done()) {
      r.Finish(serving::FinishReason::kUnfinished, "unfinished when the simulation stopped");
      ++out.unfinished;
    }
  }
  return out;
}

}  // namespace llms::sim
