// RealtimeDriver: runs a serving Policy against real executors on the real clock: one thread per
// instance asks the policy (under one lock) what to do next, runs it on its Executor without the
// lock, and reports completion; requests are submitted and withdrawn from any thread. The
// counterpart of the simulator's event loop (sim/simulation.h): the same policy code decides in
// both.
// Ownership: a request stays the driver's from Submit until the driver releases it, which happens
// only when the policy has retired it (`finished`) and no action in progress refers to it; the
// listener hears of the release, after which the submitter may destroy the request.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "serving/executor.h"
#include "serving/policy.h"
#include "serving/step_log.h"

namespace llms::serving {

class RealtimeDriver {
 public:
  // `executors[i]` runs instance i of `policy`; all must outlive the driver.
  RealtimeDriver(Policy* policy, std::vector<Executor*> executors, Clock* clock);
  ~RealtimeDriver();  // stops and joins the instance threads
  RealtimeDriver(const RealtimeDriver&) = delete;
  RealtimeDriver& operator=(const RealtimeDriver&) = delete;

  // Called under the driver's lock (so it must not block) after each completed action:
  // `progressed` holds the requests whose progress may have changed (new tokens, an end), and
  // `released` the requests that left the driver; those may be destroyed once this returns and
  // are never reported again. A server streams new tokens to its clients from here.
  using Listener = std::function<void(const std::vector<ServingRequest*>& progressed,
                                      const std::vector<ServingRequest*>& released)>;
  void SetListener(Listener listener);

  // Called on the instance's thread, outside the lock (so it must be thread-safe), after each
  // action ran: which instance, the action's record (serving/step_log.h, lengths as they were
  // before the step) and when it started and ended on the driver's clock.
  using StepObserver = std::function<void(StepRecord record)>;
  // Set before the first Submit: `models` names and sizes the records' models.
  void SetStepObserver(std::vector<StepLogModel> models, StepObserver observer);

  // Stamps the arrival time and hands `r` to the policy; false when it was rejected (then
  // r->reject and r->error say why, and the driver holds no reference). Otherwise `r` must stay
  // valid until the listener reports it released.
  bool Submit(ServingRequest* r);
  // The client no longer wants `r` (a submitted, not yet released request): raises its cancel
  // flag and lets the policy drop it at once if it only waits (reported through the listener).
  void Cancel(ServingRequest* r);
  // Blocks until every submitted request has been released.
  void WaitAllDone();
  // Policy statistics, copied under the lock.
  PolicyStats stats() const;
  // Requests submitted and not yet released.
  size_t in_flight() const;

 private:
  void InstanceLoop(int instance);
  // Releases every finished request no action holds; reports progress and releases.
  void Publish(const std::vector<ServingRequest*>& progressed);
  void Hold(const Action& a, int delta);

  Policy* policy_;
  std::vector<Executor*> executors_;
  Clock* clock_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool stop_ = false;
  std::vector<ServingRequest*> submitted_;               // not yet released
  std::unordered_map<const ServingRequest*, int> held_;  // requests in actions in progress
  Listener listener_;
  std::vector<StepLogModel> step_models_;
  StepObserver step_observer_;
  std::vector<std::thread> threads_;
};

}  // namespace llms::serving
