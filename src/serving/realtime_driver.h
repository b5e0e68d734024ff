// RealtimeDriver: runs a serving Policy against real executors on the real clock: one thread per
// instance asks the policy (under one lock) what to do next, runs it on its Executor without the
// lock, and reports completion; requests are submitted from any thread. The counterpart of the
// simulator's event loop (sim/simulation.h): the same policy code decides in both.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "serving/executor.h"
#include "serving/policy.h"

namespace llms::serving {

class RealtimeDriver {
 public:
  // `executors[i]` runs instance i of `policy`; all must outlive the driver.
  RealtimeDriver(Policy* policy, std::vector<Executor*> executors, Clock* clock);
  ~RealtimeDriver();  // stops and joins the instance threads
  RealtimeDriver(const RealtimeDriver&) = delete;
  RealtimeDriver& operator=(const RealtimeDriver&) = delete;

  // Called (under the driver's lock, so it must not block) after each completed action with the
  // action's requests (a rejected submission is reported by Submit's result instead): a server
  // streams new tokens to its clients from here. A request
  // whose `finished` is set has left the driver and may be destroyed once this returns.
  using Listener = std::function<void(const std::vector<ServingRequest*>&)>;
  void SetListener(Listener listener);

  // Stamps the arrival time and hands `r` to the policy; false when it was rejected (then
  // r->failed and r->error say why). `r` must stay valid until it is done.
  bool Submit(ServingRequest* r);
  // Blocks until every submitted request has finished (all its tokens, stopped, or failed).
  void WaitAllDone();
  // Policy statistics, copied under the lock.
  PolicyStats stats() const;

 private:
  void InstanceLoop(int instance);
  bool AllDone() const;

  Policy* policy_;
  std::vector<Executor*> executors_;
  Clock* clock_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool stop_ = false;
  std::vector<ServingRequest*> submitted_;  // not yet finished
  Listener listener_;
  std::vector<std::thread> threads_;
};

}  // namespace llms::serving
