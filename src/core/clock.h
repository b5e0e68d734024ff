// Clock: the time source of the serving scheduler, so the same scheduling code runs in real time
// (RealClock: steady clock, real sleeps) and in simulation (VirtualClock: time moves only when
// the discrete-event driver advances it, so hours of traffic simulate in seconds). Times are
// seconds since the clock's start.
#pragma once

#include <chrono>
#include <mutex>

namespace llms {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual double Now() const = 0;
  // Returns when Now() >= t (at once when t is not in the future).
  virtual void SleepUntil(double t) = 0;
};

class RealClock : public Clock {
 public:
  RealClock() : start_(std::chrono::steady_clock::now()) {}
  double Now() const override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  void SleepUntil(double t) override;

 private:
  std::chrono::steady_clock::time_point start_;
};

// Thread-safe; never goes backwards.
class VirtualClock : public Clock {
 public:
  double Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  // In simulation, sleeping is advancing: nothing else runs between events.
  void SleepUntil(double t) override { AdvanceTo(t); }
  void AdvanceTo(double t) {
    std::lock_guard<std::mutex> lock(mu_);
    if (t > now_) now_ = t;
  }

 private:
  mutable std::mutex mu_;
  double now_ = 0.0;
};

}  // namespace llms
