// RequestLevelPolicy: request-level auto-scaling, the ServerlessLLM-like baseline of the Aegaeon
// paper. Every instance serves one model at a time with continuous batching (waiting requests are
// prefilled first, then decode steps run over the whole batch). A model holds its instance until
// its queue drains and its last request finishes; only then can the instance load another model,
// so a burst of one model blocks every other (head-of-line blocking). A free instance takes the
// waiting model whose oldest request arrived first; the model goes to the free instance that still
// holds its weights, else to the least recently used one (LRU eviction).
// `plus` ("ServerlessLLM+"): shortest-remaining-first with known output lengths. The free instance
// takes the waiting model whose shortest queued request needs the least predicted work (its
// prefill and the decode of all its tokens) first, and takes that model's whole queue as one group.
// KV space: an instance admits a waiting request into its batch only when the batch's reserved
// blocks (each request's prompt plus output budget, in whole blocks) stay within the instance's
// blocks for the model; the rest wait in the model's queue (at most max_queue, then rejected).
#pragma once

#include <deque>
#include <optional>
#include <set>
#include <vector>

#include "serving/policy.h"

namespace llms::serving {

class RequestLevelPolicy : public Policy {
 public:
  RequestLevelPolicy(std::vector<ServedModel> models, const ClusterSpec& cluster, bool plus);

  bool Submit(ServingRequest* r, double now) override;
  void Withdraw(ServingRequest* r) override;
  std::optional<Action> Next(int instance, double now) override;
  int instances() const override { return cluster_.instances; }

 private:
  struct Instance {
    int resident = -1;  // model whose weights it holds
    int serving = -1;   // model it is assigned to (-1: free)
    std::vector<ServingRequest*> running;
    int64_t reserved_blocks = 0;
    double last_used = -1.0;
  };
  void OnComplete(int instance, const Action& action, const ActionResult& result, double start,
                  double end) override;
  void Assign();
  double ShortestRequestWork(int model) const;
  int64_t CapacityBlocks(int model) const;

  std::vector<ServedModel> models_;
  ClusterSpec cluster_;
  bool plus_;
  std::vector<std::deque<ServingRequest*>> queues_;  // per model
  std::vector<int> holder_;                          // per model: instance serving it, or -1
  std::set<int> unheld_waiting_;                     // models with a queue and no instance
  std::vector<Instance> inst_;
};

}  // namespace llms::serving
