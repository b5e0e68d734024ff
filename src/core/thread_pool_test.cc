// Tests for ThreadPool: every index visited exactly once (fixed and dynamic splits), inline pools,
// repeated use, and a dynamic split giving a slow thread less.
#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

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

TEST(ThreadPoolTest, DynamicVisitsEveryIndexOnceInChunksOfAtLeastTheMinimum) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 5, 64, 1000, 100000}) {
      for (int64_t min_chunk : {1, 16, 100}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        std::mutex mu;
        std::vector<std::pair<int64_t, int64_t>> chunks;
        pool.ParallelForDynamic(n, min_chunk, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
          std::lock_guard<std::mutex> lock(mu);
          chunks.emplace_back(b, e);
        });
        for (auto& h : hits) ASSERT_EQ(h.load(), 1) << "threads " << threads << " n " << n;
        for (const auto& [b, e] : chunks) {
          EXPECT_TRUE(e - b >= min_chunk || e == n) << b << ".." << e << " min " << min_chunk;
        }
        // Shrinking chunks: a few dozen at most, however large n.
        EXPECT_LE(chunks.size(), size_t{64}) << "threads " << threads << " n " << n;
      }
    }
  }
}

TEST(ThreadPoolTest, DynamicGivesASlowThreadLess) {
  ThreadPool pool(2);
  const auto caller = std::this_thread::get_id();
  std::atomic<int64_t> by_caller{0}, by_worker{0};
  pool.ParallelForDynamic(1000, 10, [&](int64_t b, int64_t e) {
    if (std::this_thread::get_id() == caller) {
      // A stalled core: its first chunk ends only once everything else is done (or after 10 s).
      by_caller += e - b;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (by_caller + by_worker < 1000 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    } else {
      by_worker += e - b;
    }
  });
  EXPECT_EQ(by_caller + by_worker, 1000);
  // A fixed split would give each 500; the worker takes all the stalled caller leaves (the caller's
  // one chunk is at most 3/4 of a half).
  EXPECT_GE(by_worker.load(), 625);
}

TEST(ThreadPoolTest, ZeroMeansOnePerCore) {
  EXPECT_GE(ThreadPool(0).size(), 1);
}

}  // namespace
}  // namespace llms
