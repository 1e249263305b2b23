// Minimal fork-join parallelism for the engine: run f(0..n_tasks-1) on up to n_threads
// threads and rethrow the first exception in the caller.
//
// The engine gives each thread a disjoint group of streams for a whole chunk of samples,
// so threads never synchronise inside a sampling step; spawning per chunk (thousands of
// samples) costs microseconds, which is why no persistent pool is needed.
#pragma once

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace pysynth {

inline int resolve_threads(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

template <class F>
void parallel_for(int n_tasks, int n_threads, F&& f) {
  if (n_tasks <= 0) return;
  n_threads = std::max(1, std::min(n_threads, n_tasks));
  if (n_threads == 1) {
    for (int i = 0; i < n_tasks; ++i) f(i);
    return;
  }
  std::atomic<int> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&]() {
    for (;;) {
      const int i = next.fetch_add(1);
      if (i >= n_tasks) return;
      try {
        f(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(n_threads - 1);
  for (int k = 1; k < n_threads; ++k) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

// Split n items into `parts` contiguous ranges as even as possible: [begin, end) of part p.
inline std::pair<int, int> split_range(int n, int parts, int p) {
  const int base = n / parts, extra = n % parts;
  const int begin = p * base + std::min(p, extra);
  return {begin, begin + base + (p < extra ? 1 : 0)};
}

}  // namespace pysynth
