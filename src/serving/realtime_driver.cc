// One thread per instance, the policy under one lock, the executors outside it; requests are
// released only when the policy has retired them and no running action holds them.
#include "serving/realtime_driver.h"

#include <cstdio>
#include <cstdlib>
#include <optional>

namespace llms::serving {

namespace {

// A policy handed out a request it had already retired: a broken internal invariant.
[[noreturn]] void RetiredRequestInAction(const ServingRequest* r) {
  std::fprintf(stderr, "internal error: request %llu is in an action after it left the policy\n",
               static_cast<unsigned long long>(r->id));
  std::abort();
}

}  // namespace

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

void RealtimeDriver::SetStepObserver(std::vector<StepLogModel> models, StepObserver observer) {
  std::lock_guard<std::mutex> lock(mu_);
  step_models_ = std::move(models);
  step_observer_ = std::move(observer);
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
    if (accepted) {
      submitted_.push_back(r);
      Publish({});  // admission may have dropped withdrawn requests that waited
    }
  }
  changed_.notify_all();
  return accepted;
}

void RealtimeDriver::Cancel(ServingRequest* r) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    r->cancel.Raise();
    if (r->finished) return;
    policy_->Withdraw(r);
    if (r->finished) Publish({r});
  }
  changed_.notify_all();
}

void RealtimeDriver::WaitAllDone() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return submitted_.empty(); });
}

PolicyStats RealtimeDriver::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return policy_->stats();
}

size_t RealtimeDriver::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return submitted_.size();
}

void RealtimeDriver::Hold(const Action& a, int delta) {
  for (const auto* list : {&a.requests, &a.kv_out}) {
    for (const ServingRequest* r : *list) {
      if (delta > 0 && r->finished) RetiredRequestInAction(r);
      int& n = held_[r];
      n += delta;
      if (n == 0) held_.erase(r);
    }
  }
}

void RealtimeDriver::Publish(const std::vector<ServingRequest*>& progressed) {
  std::vector<ServingRequest*> released;
  std::erase_if(submitted_, [&](ServingRequest* r) {
    if (!r->finished || held_.count(r)) return false;
    released.push_back(r);
    return true;
  });
  if (listener_ && (!progressed.empty() || !released.empty())) listener_(progressed, released);
}

void RealtimeDriver::InstanceLoop(int instance) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    auto action = policy_->Next(instance, clock_->Now());
    if (!action) {
      // Next may have retired requests (withdrawn ones it skipped): release them.
      Publish({});
      changed_.wait(lock);
      continue;
    }
    Hold(*action, +1);
    std::optional<StepRecord> record;
    if (step_observer_) record = RecordStep(instance, *action, step_models_);
    lock.unlock();
    // Deciding can give other instances work too (requests admitted into prefill groups).
    changed_.notify_all();
    const double start = clock_->Now();
    const ActionResult result = executors_[static_cast<size_t>(instance)]->Run(*action);
    const double end = clock_->Now();
    if (record) {
      record->start_s = start;
      record->seconds = end - start;
      step_observer_(std::move(*record));
    }
    lock.lock();
    Hold(*action, -1);
    policy_->Complete(instance, *action, result, start, end);
    std::vector<ServingRequest*> progressed = action->requests;
    progressed.insert(progressed.end(), action->kv_out.begin(), action->kv_out.end());
    Publish(progressed);
    // A completion can give any instance work (a request handed to decode, a model released)
    // and can finish requests someone waits for.
    changed_.notify_all();
  }
}

}  // namespace llms::serving
