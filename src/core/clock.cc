// RealClock sleeping.
#include "core/clock.h"

#include <thread>

namespace llms {

void RealClock::SleepUntil(double t) {
  const double wait = t - Now();
  if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
}

}  // namespace llms
