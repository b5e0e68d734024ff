// Simulation: the discrete-event driver of `aegaeon sim`. It feeds requests to a serving Policy
// at their arrival times, asks the policy what each idle instance does next, has the instance's
// SimExecutor predict how long that takes, and advances a VirtualClock from event to event, so
// the production scheduling code runs unchanged and an hour of traffic simulates in seconds.
// A cluster of several nodes (SimulateCluster) runs one policy per node over the node's own
// instances and sends each arrival to the node a route function picks from the nodes' state as
// last refreshed, as aegaeon proxy routes over aegaeon serve nodes (serving/router.h).
// Requests still unfinished at `stop_s` end as failed ("unfinished when the simulation stopped").
#pragma once

#include <cstdint>
#include <functional>
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

// What a node's heartbeat would say: per model, requests waiting (no token yet) and running; per
// instance, the model it switched to last (-1: none yet).
struct SimNodeState {
  std::vector<int64_t> waiting, running;
  std::vector<int> instance_model;
  std::vector<char> routed;  // per model: the router sent it a request since the last refresh
};
// The node (index into the nodes) a request goes to, from the states as last refreshed; it may
// count its own decisions into them until the next refresh, as a proxy counts its requests in
// flight.
using SimRouteFn =
    std::function<int(const serving::ServingRequest& r, std::vector<SimNodeState>& nodes)>;

struct SimNode {
  serving::Policy* policy = nullptr;
  std::vector<std::unique_ptr<serving::Executor>>* executors = nullptr;  // one per instance
};

// Several nodes; the states refresh every `refresh_s` of simulated time (a quarter lease).
SimulationOutcome SimulateCluster(std::vector<SimNode> nodes,
                                  std::vector<serving::ServingRequest>& requests,
                                  VirtualClock& clock, double stop_s, int num_models,
                                  const SimRouteFn& route, double refresh_s);

}  // namespace llms::sim
