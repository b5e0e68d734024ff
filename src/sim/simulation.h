// Simulation: the discrete-event driver of `aegaeon sim`. It feeds requests to a serving Policy
// at their arrival times, asks the policy what each idle instance does next, has the instance's
// SimExecutor predict how long that takes, and advances a VirtualClock from event to event, so
// the production scheduling code runs unchanged and an hour of traffic simulates in seconds.
// Requests still unfinished at `stop_s` end as failed ("unfinished when the simulation stopped").
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/clock.h"
#include "serving/executor.h"
#include "serving/policy.h"

namespace llms::sim {

struct SimulationOutcome {
  int64_t events = 0;  // arrivals + completed actions
  double end_s = 0;    // virtual time of the last event
  int64_t unfinished = 0;
};

// `requests` sorted by arrival; `executors` one per policy instance.
SimulationOutcome Simulate(serving::Policy& policy,
                           std::vector<std::unique_ptr<serving::Executor>>& executors,
                           std::vector<serving::ServingRequest>& requests, VirtualClock& clock,
                           double stop_s);

}  // namespace llms::sim
