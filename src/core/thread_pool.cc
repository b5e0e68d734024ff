// ThreadPool implementation: workers wait for a new generation, run their chunk, report back.
#include "core/thread_pool.h"

#include <algorithm>

namespace llms {

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  start_.notify_all();
  for (auto& w : workers_) w.join();
}

namespace {
void Chunk(int64_t n, int parts, int index, int64_t& begin, int64_t& end) {
  begin = n * index / parts;
  end = n * (index + 1) / parts;
}
// About 50 microseconds of polling before a thread sleeps on its condition variable.
constexpr int kSpins = 4000;
inline void Pause() {
  __builtin_ia32_pause();
}
}  // namespace

void ThreadPool::WorkerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int spin = 0; gen == seen && spin < kSpins && !stop_.load(std::memory_order_relaxed);
         ++spin) {
      Pause();
      gen = generation_.load(std::memory_order_acquire);
    }
    if (gen == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      start_.wait(lock, [&] { return stop_ || generation_.load() != seen; });
      gen = generation_.load(std::memory_order_acquire);
    }
    if (stop_) return;
    seen = gen;
    int64_t begin, end;
    Chunk(n_, size(), index, begin, end);
    if (begin < end) (*fn_)(begin, end);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mu_);
      done_.notify_one();
    }
  }
}

void ThreadPool::ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (workers_.empty() || n <= 1) {
    if (n > 0) fn(0, n);
    return;
  }
  fn_ = &fn;
  n_ = n;
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  start_.notify_all();
  int64_t begin, end;
  Chunk(n, size(), 0, begin, end);
  if (begin < end) fn(begin, end);
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0 && spin < kSpins; ++spin)
    Pause();
  if (pending_.load(std::memory_order_acquire) != 0) {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
  }
}

void ThreadPool::ParallelForDynamic(int64_t n, int64_t min_chunk,
                                    const std::function<void(int64_t, int64_t)>& fn) {
  const int64_t threads = size();
  min_chunk = std::max<int64_t>(min_chunk, 1);
  if (workers_.empty() || n <= min_chunk) {
    if (n > 0) fn(0, n);
    return;
  }
  std::atomic<int64_t> next{0};
  ParallelFor(threads, [&](int64_t, int64_t) {
    int64_t begin = next.load(std::memory_order_relaxed);
    for (;;) {
      int64_t size;
      do {
        const int64_t left = n - begin;
        if (left <= 0) return;
        size = std::min(left, std::max(min_chunk, left / (4 * threads) * 3));
      } while (!next.compare_exchange_weak(begin, begin + size, std::memory_order_relaxed));
      fn(begin, begin + size);
      begin = next.load(std::memory_order_relaxed);
    }
  });
}

void ThreadPool::ParallelForEach(int64_t n, const std::function<void(int64_t)>& fn) {
  if (workers_.empty() || n <= 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<int64_t> next{0};
  ParallelFor(size(), [&](int64_t, int64_t) {
    for (int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) fn(i);
  });
}

}  // namespace llms
