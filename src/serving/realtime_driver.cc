// One thread per instance, the policy under one lock, the executors outside it.
#include "serving/realtime_driver.h"

namespace llms::serving {

RealtimeDriver::RealtimeDriver(Policy* policy, std::vector<Executor*> executors, Clock* clock)
    : policy_(policy), executors_(std::move(executors)), clock_(clock) {
  for (int i = 0; i < static_cast<int>(executors_.size()); ++i) {
    threads_.emplace_back([this, i] { InstanceLoop(i); });
  }
}

RealtimeDriver::~RealtimeDriver() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  for (auto& t : threads_) t.join();
}

void RealtimeDriver::SetListener(Listener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  listener_ = std::move(listener);
}

bool RealtimeDriver::Submit(ServingRequest* r) {
  bool accepted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    r->arrival_s = clock_->Now();
    accepted = policy_->Submit(r, r->arrival_s);
    if (accepted) submitted_.push_back(r);
  }
  changed_.notify_all();
  return accepted;
}

bool RealtimeDriver::AllDone() const {
  return submitted_.empty();
}

void RealtimeDriver::WaitAllDone() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return AllDone(); });
}

PolicyStats RealtimeDriver::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return policy_->stats();
}

void RealtimeDriver::InstanceLoop(int instance) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    auto action = policy_->Next(instance, clock_->Now());
    if (!action) {
      changed_.wait(lock);
      continue;
    }
    lock.unlock();
    const double start = clock_->Now();
    const ActionResult result = executors_[static_cast<size_t>(instance)]->Run(*action);
    const double end = clock_->Now();
    lock.lock();
    policy_->Complete(instance, *action, result, start, end);
    std::erase_if(submitted_, [](const ServingRequest* r) { return r->finished; });
    if (listener_) {
      listener_(action->requests);
      if (!action->kv_out.empty()) listener_(action->kv_out);
    }
    // A completion can give any instance work (a request handed to decode, a model released)
    // and can finish requests someone waits for.
    changed_.notify_all();
  }
}

}  // namespace llms::serving
