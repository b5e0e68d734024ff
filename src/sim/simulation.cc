// The discrete-event loop: arrivals and action completions in time order.
#include "sim/simulation.h"

#include <limits>
#include <queue>

namespace llms::sim {

SimulationOutcome Simulate(serving::Policy& policy,
                           std::vector<std::unique_ptr<serving::Executor>>& executors,
                           std::vector<serving::ServingRequest>& requests, VirtualClock& clock,
                           double stop_s) {
  const int n = policy.instances();
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

  auto dispatch = [&](double now) {
    // Keep asking until no idle instance starts anything: one instance's decision (a model
    // released, an assignment) can give another one work at the same instant.
    for (bool progress = true; progress;) {
      progress = false;
      for (int i = 0; i < n; ++i) {
        Running& r = running[static_cast<size_t>(i)];
        if (r.busy) continue;
        auto action = policy.Next(i, now);
        if (!action) continue;
        r.action = std::move(*action);
        r.result = executors[static_cast<size_t>(i)]->Run(r.action);
        r.start = now;
        r.busy = true;
        completions.push({now + r.result.seconds, i});
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
      const int i = completions.top().second;
      completions.pop();
      Running& r = running[static_cast<size_t>(i)];
      r.busy = false;
      policy.Complete(i, r.action, r.result, r.start, t);
    } else {
      policy.Submit(&requests[next_arrival++], t);
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
