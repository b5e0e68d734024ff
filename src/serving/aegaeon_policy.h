// AegaeonPolicy: token-level auto-scaling over disaggregated prefill and decode instances, as the
// Aegaeon paper (SOSP'25) describes it.
// - Prefill instances: grouped FCFS (PrefillDispatcher): a request joins a queued group of its
//   model (at most max_prefill_group) or opens one on the least-loaded instance. An instance
//   switches models between any two groups; while a group runs, the next group's model is
//   prefetched when both fit in the instance's memory, so part of the next switch is hidden.
// - Decode instances: one batch per model, visited round-robin; each visit (a time slice) runs
//   decode steps for the batch's quota from DecodeQuotas() and then switches to the next batch,
//   moving the outgoing batch's KV to the host pool and the incoming one's back. A request whose
//   prefill finished joins a same-model batch whose KV still fits, preferring the instance with the
//   lowest alpha; otherwise it opens a batch on the instance whose alpha stays lowest.
//   While a slice runs, the next batch's weights are prefetched when both models and their KV
//   fit in the instance's memory, so a switch costs only what the slice did not hide; the round's
//   switch cost c0 in the quota formula counts that part (plus KV moves), found by a fixed point
//   of c0 -> quotas -> unhidden load.
// Colocated mode (`aegaeon-colocated`): every instance prefills and decodes. A queued prefill
// group runs between decode slices (at once when its model is the resident one or the instance
// is idle), its model switched in and the resident batch's KV moved out; a prefilled request
// joins a batch of its model on the same instance, its KV staying there.
// KV space (docs/serving.md): a decode batch reserves each request's prompt plus output budget in
// whole blocks and never holds more than one instance's blocks of its model (nor more than
// max_decode_batch requests); a model may have several batches on one instance, which take turns
// like batches of different models (a swap between them moves only KV). Only the batch of the
// current slice has its KV on the instance. A prefill group holds no more than an instance's
// blocks. Every request past admission is charged its budget in the host KV pool (where its KV
// waits between slices); requests beyond the pool's budget wait, in arrival order, and at most
// max_queue per model wait before new ones are rejected.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "serving/decode_quota.h"
#include "serving/policy.h"
#include "serving/prefill_dispatcher.h"

namespace llms::serving {

class AegaeonPolicy : public Policy {
 public:
  // Instances [0, cluster.prefill_instances) prefill; the rest decode. `colocated`: every
  // instance does both (cluster.prefill_instances is ignored).
  AegaeonPolicy(std::vector<ServedModel> models, const ClusterSpec& cluster,
                bool colocated = false);

  bool Submit(ServingRequest* r, double now) override;
  void Withdraw(ServingRequest* r) override;
  std::optional<Action> Next(int instance, double now) override;
  int instances() const override { return cluster_.instances; }

  // The decode round an instance runs now (for tests and reports); empty without batches.
  DecodeRound CurrentRound(int decode_instance) const;
  // For tests: the batches of a decode instance as (model, requests, reserved blocks).
  struct BatchView {
    int model;
    size_t requests;
    int64_t reserved_blocks;
  };
  std::vector<BatchView> Batches(int decode_instance) const;
  // For tests: host KV bytes charged to admitted requests, and requests waiting for admission.
  double host_kv_charged() const { return host_used_; }
  size_t waiting() const { return waiting_.size(); }

 private:
  struct PrefillInstance {
    int resident = -1;
    int prefetch_model = -1;
    double prefetch_start = 0;
  };
  struct Batch {
    uint64_t id = 0;
    int model = -1;
    std::vector<ServingRequest*> requests;
    int64_t sum_context = 0;
    int64_t reserved_blocks = 0;
  };
  struct DecodeInstance {
    std::vector<Batch> batches;   // round-robin order
    int resident = -1;            // model whose weights the instance holds
    uint64_t resident_batch = 0;  // batch whose KV is on the instance (0: none)
    int cursor = -1;              // batch of the current slice
    double slice_end = 0;
    int slice_steps = 0;       // decode steps of the current slice (a slice runs at least one)
    bool decode_owed = false;  // colocated: a prefill ran since the last decode step
    double pending_quota = 0;  // quota of the slice a switch is starting
    int prefetch_model = -1;   // weights being brought in during the current slice
    double prefetch_start = 0;
  };

  void OnComplete(int instance, const Action& action, const ActionResult& result, double start,
                  double end) override;
  void OnCompleteImpl(int instance, const Action& action, double end);
  // Predicted seconds of decode work queued on an instance (a switch and the longest remaining
  // output per batch).
  double DecodeBacklog(const DecodeInstance& in) const;
  bool IsPrefill(int instance) const { return !colocated_ && instance < prefill_instances_; }
  int DecodeIndex(int instance) const {
    return colocated_ ? instance : instance - prefill_instances_;
  }
  // Moves waiting requests (arrival order) into prefill while the host KV budget allows.
  void Admit();
  // The request leaves the policy: its host KV charge is returned and it is retired.
  void Leave(ServingRequest* r);
  double HostCost(const ServingRequest* r) const;
  std::optional<Action> NextColocated(int i, double now);
  // Pops `p`'s next group (of `model`, which the instance holds) as a prefill action; nullopt
  // when every request of the group was withdrawn.
  std::optional<Action> StartPrefillGroup(int p, int model);
  std::optional<Action> NextPrefill(int p, double now);
  std::optional<Action> NextDecode(int d, double now);
  // A switch of decode instance `in` to batch `b`: every other sequence's KV leaves.
  Action SwitchToBatch(const DecodeInstance& in, const Batch& b) const;
  void FinishPrefill(int p, const Action& action, double end);
  void FinishDecode(DecodeInstance& in, const Action& action, double end);
  // Retires the done requests of every batch of `in` and drops empty batches.
  void Sweep(DecodeInstance& in, double end);
  // Places `r` in a decode batch (on `only_instance` when >= 0, a decode index).
  void PlaceForDecode(ServingRequest* r, int only_instance = -1);
  double StepSeconds(const Batch& b) const;
  DecodeRound RoundOf(const std::vector<Batch>& batches) const;
  bool CanPrefetch(const Batch& current, const Batch& next) const;
  void StartPrefetch(DecodeInstance& in, double now);
  int64_t CapacityBlocks(int model) const;
  void NoteMemory(int model, int64_t kv_blocks);

  std::vector<ServedModel> models_;
  ClusterSpec cluster_;
  bool colocated_;
  int prefill_instances_;  // 0 when colocated
  PrefillDispatcher dispatcher_;
  std::vector<PrefillInstance> prefill_;
  std::vector<DecodeInstance> decode_;
  std::deque<ServingRequest*> waiting_;  // accepted, not yet admitted (host KV budget)
  std::unordered_map<uint64_t, ServingRequest*> in_prefill_;  // queued for or in prefill
  std::vector<int> queued_;  // per model: requests waiting for prefill (admitted or not)
  double host_budget_;       // bytes of host KV the admitted requests may be charged
  double host_used_ = 0;
  uint64_t next_batch_id_ = 1;
};

}  // namespace llms::serving
