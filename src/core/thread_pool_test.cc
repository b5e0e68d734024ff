// Tests for ThreadPool: every index visited exactly once, inline pools, repeated use.
#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>

namespace llms {
namespace {

TEST(ThreadPoolTest, VisitsEveryIndexOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      for (int rep = 0; rep < 20; ++rep) {
        pool.ParallelFor(n, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
        });
      }
      for (auto& h : hits) ASSERT_EQ(h.load(), 20) << "threads " << threads << " n " << n;
    }
  }
}

TEST(ThreadPoolTest, ZeroMeansOnePerCore) { EXPECT_GE(ThreadPool(0).size(), 1); }

}  // namespace
}  // namespace llms
