// PrefillDispatcher: Aegaeon's grouped FCFS prefill placement. A new request joins a queued
// (not yet started) group of its model that has room (at most max_group requests) on any prefill
// instance, preferring the least-loaded such instance; otherwise it opens a new group on the
// least-loaded instance. An instance's load is the predicted time of its queued groups plus the
// model switches between them. A group also holds no more KV blocks than an instance has for its
// model (every prompt of a group is prefilled at once). Groups run in FCFS order per instance; the
// model of the group after the running one is the prefetch hint. Models are indices into the
// served models. Pure bookkeeping: the caller runs the groups.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace llms::serving {

struct PrefillRequest {
  uint64_t id = 0;
  int model = -1;
  int prompt_tokens = 0;
  int64_t kv_blocks = 0;  // KV blocks its prefill occupies on the instance
};

struct PrefillGroup {
  int model = -1;
  std::vector<PrefillRequest> requests;
  int64_t kv_blocks = 0;
};

struct PrefillPlacement {
  int instance = -1;
  bool new_group = false;
};

class PrefillDispatcher {
 public:
  // Predicted prefill time of one batch of `model` with these prompt lengths.
  using PrefillPredictor = std::function<double(int model, std::span<const int>)>;
  // Predicted time to switch an instance to `model`.
  using SwitchPredictor = std::function<double(int model)>;
  // KV blocks of `model` one instance holds (a group's limit); null: no limit.
  using KvCapacity = std::function<int64_t(int model)>;

  PrefillDispatcher(int instances, PrefillPredictor prefill, SwitchPredictor switch_cost,
                    int max_group = 8, KvCapacity kv_capacity = nullptr);

  PrefillPlacement Submit(const PrefillRequest& request);
  // Takes a queued (not started) request out of its group; false when it is not queued.
  bool Remove(uint64_t id);
  // Removes and returns the next group of `instance` (FCFS); nullopt when none is queued.
  std::optional<PrefillGroup> NextGroup(int instance);
  // The model of the group at `position` in `instance`'s queue (0: runs next; 1: runs after it,
  // the model to prefetch meanwhile).
  std::optional<int> QueuedModel(int instance, size_t position) const;
  // The group at `position` in `instance`'s queue, or null.
  const PrefillGroup* QueuedGroup(int instance, size_t position) const;
  // Tells the dispatcher which model an instance holds now (after it ran a group).
  void SetResident(int instance, int model);
  // Predicted seconds left of the group `instance` is running (0 when idle), counted in its load.
  void SetRunning(int instance, double seconds);

  double Load(int instance) const;
  size_t queued_groups(int instance) const;

 private:
  struct Instance {
    std::deque<PrefillGroup> queue;
    int resident = -1;
    double running_s = 0;
  };
  PrefillPredictor prefill_;
  SwitchPredictor switch_;
  int max_group_;
  KvCapacity kv_capacity_;
  std::vector<Instance> instances_;
};

}  // namespace llms::serving
