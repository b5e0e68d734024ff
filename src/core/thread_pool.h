// ThreadPool: a fixed set of worker threads for data-parallel loops (the engine's matrix products).
// ParallelFor splits [0, n) into one contiguous chunk per thread, runs one chunk on the calling
// thread and returns when all are done; the split depends only on n and the pool size, so results
// are the same on every run. Workers spin briefly before sleeping, so the back-to-back loops of a
// decode step do not pay a wake-up each. One ParallelFor at a time per pool (callers own their
// pool).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace llms {

class ThreadPool {
 public:
  // `threads` counts the caller: 1 means no workers (everything runs inline); 0 means one per core.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  void ParallelFor(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

 private:
  void WorkerLoop(int index);
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_, done_;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace llms
