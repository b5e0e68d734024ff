// ThreadPool: a fixed set of worker threads for data-parallel loops (the engine's matrix products).
// ParallelFor splits [0, n) into one contiguous chunk per thread, runs one chunk on the calling
// thread and returns when all are done; the split depends only on n and the pool size, so results
// are the same on every run. ParallelForDynamic hands out shrinking chunks to whichever thread is
// free (guided scheduling), for loops whose results do not depend on how [0, n) is split: on a
// shared machine one core can run slower than the other for a while, and with a fixed split the
// faster one then waits (a decode step's matrix products measured 17-23% of the calling thread's
// time waiting so; about 1% with dynamic chunks). Workers spin briefly before sleeping, so the
// back-to-back loops of a decode step do not pay a wake-up each. ParallelForEach hands out single
// items, for loops over few heavy ones. One loop at a time per pool (callers own their pool).
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
  // fn over chunks that cover [0, n) once: each thread takes about 3/4 of its fair share of what is
  // left, then less and less, never under `min_chunk` (but the last piece), so a call makes few
  // chunks (a dozen or two on 2 threads) and the threads finish within about one small chunk. The
  // chunk boundaries depend only on n, min_chunk and the pool size; which thread runs which does
  // not.
  void ParallelForDynamic(int64_t n, int64_t min_chunk,
                          const std::function<void(int64_t begin, int64_t end)>& fn);
  // fn(i) for each i in [0, n), one index at a time to whichever thread is free: for few items
  // of very different cost (simulated sweep points, files to parse).
  void ParallelForEach(int64_t n, const std::function<void(int64_t i)>& fn);

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
