// MultiplexingPolicy: static multiplexing, the MuxServe-like baseline: models are placed on
// instances by memory once (largest first, each on the instance with the fewest models where its
// weights plus a KV reserve fit)
// and never move; an instance shares its time among its models step by step (waiting prefills
// first, oldest first, then one decode step per model in round-robin order). Models that fit
// nowhere are not served: their requests are rejected, counted and reported.
// `dedicated`: at most one model per instance (one dedicated instance per model).
#pragma once

#include <deque>
#include <optional>
#include <vector>

#include "serving/policy.h"

namespace llms::serving {

class MultiplexingPolicy : public Policy {
 public:
  MultiplexingPolicy(std::vector<ServedModel> models, const ClusterSpec& cluster, bool dedicated);

  bool Submit(ServingRequest* r, double now) override;
  void Withdraw(ServingRequest* r) override;
  std::optional<Action> Next(int instance, double now) override;
  int instances() const override { return cluster_.instances; }

  // Instance of each model (-1: not placed).
  const std::vector<int>& placement() const { return placement_; }

 private:
  struct ModelState {
    std::deque<ServingRequest*> queue;
    std::vector<ServingRequest*> running;
    int64_t reserved_blocks = 0;
    int64_t kv_capacity_blocks = 0;  // its share of the instance's KV space
  };
  struct Instance {
    std::vector<int> models;
    double weight_bytes = 0;
    size_t cursor = 0;  // round-robin position for decode
  };
  void OnComplete(int instance, const Action& action, const ActionResult& result, double start,
                  double end) override;

  std::vector<ServedModel> models_;
  ClusterSpec cluster_;
  std::vector<int> placement_;
  std::vector<ModelState> state_;
  std::vector<Instance> inst_;
};

}  // namespace llms::serving
