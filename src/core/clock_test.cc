// Tests for the clocks: real time advances across a sleep; virtual time moves only when advanced
// and never backwards.
#include "core/clock.h"

#include <gtest/gtest.h>

namespace llms {
namespace {

TEST(ClockTest, RealClockSleepsUntilTheTarget) {
  RealClock c;
  const double t0 = c.Now();
  c.SleepUntil(t0 + 0.02);
  EXPECT_GE(c.Now(), t0 + 0.02);
  c.SleepUntil(0.0);  // the past: returns at once
}

TEST(ClockTest, VirtualClockMovesOnlyForward) {
  VirtualClock c;
  EXPECT_EQ(c.Now(), 0.0);
  c.SleepUntil(5.5);
  EXPECT_EQ(c.Now(), 5.5);
  c.AdvanceTo(2.0);
  EXPECT_EQ(c.Now(), 5.5);
  Clock& as_clock = c;
  as_clock.SleepUntil(3600.0);  // an hour of simulated time, instantly
  EXPECT_EQ(c.Now(), 3600.0);
}

}  // namespace
}  // namespace llms
