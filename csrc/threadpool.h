// The engines' threading primitives, all in one place: parallel_for (fork-join: run
// f(0..n_tasks-1) on up to n_threads threads, rethrow the first exception in the caller),
// split_range, WorkTeam with run_team and crew_split (threads sharing one group's
// products), and CrewChooser (whether sharing them pays, measured while the engine runs).
//
// The engines give each thread a disjoint group of streams for a whole chunk of samples,
// so threads never synchronise inside a sampling step; spawning per chunk (thousands of
// samples) costs microseconds, which is why no persistent pool is needed. With fewer
// streams than threads, WorkTeam (below) lets the threads share each product instead.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

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

// Spin briefly, then yield the core (on a shared machine a waiting thread must not hold a
// core that the thread it waits for needs).
inline void spin_or_yield(int spin) {
  if (spin < 2000) {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
  } else {
    std::this_thread::yield();
  }
}

// A lead thread with helpers that split one job at a time: the lead calls run(parts, f),
// which hands out f(0) .. f(parts - 1) to whichever threads claim them first (the lead
// included) and returns when all are done; helpers sit in help() until stop(). Claiming
// is dynamic, so a helper that the OS has descheduled delays a job by at most the part it
// holds and the lead never waits for a thread to arrive: with no helper running, run() is
// the serial loop. Everything the lead wrote before run() is visible to the parts, and
// everything the parts wrote is visible to the lead after it. Only the lead calls run().
class WorkTeam {
 public:
  WorkTeam() = default;
  WorkTeam(const WorkTeam&) = delete;
  WorkTeam& operator=(const WorkTeam&) = delete;

  template <class F>
  void run(int parts, F&& f) {
    if (parts <= 0) return;
    if (parts > kMaxParts) {  // more than the state word counts: serial
      for (int i = 0; i < parts; ++i) f(i);
      return;
    }
    using Fn = std::remove_reference_t<F>;
    ctx_.store(const_cast<void*>(static_cast<const void*>(&f)), std::memory_order_relaxed);
    fn_.store(&call<Fn>, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    const uint64_t gen = (state_.load(std::memory_order_relaxed) >> 32) + 1;
    // Publishes the job above; the part count travels in the same word as the generation
    // and the next part, so no claim can pair one job's count with another's index.
    state_.store(gen << 32 | static_cast<uint64_t>(parts) << 16, std::memory_order_release);
    while (claim()) {
    }
    for (int spin = 0; done_.load(std::memory_order_acquire) < parts; ++spin) spin_or_yield(spin);
  }

  void help() {
    for (int spin = 0; !stop_.load(std::memory_order_acquire);) {
      if (claim())
        spin = 0;
      else
        spin_or_yield(spin++);
    }
  }

  void stop() { stop_.store(true, std::memory_order_release); }

 private:
  template <class Fn>
  static void call(void* ctx, int i) {
    (*static_cast<Fn*>(ctx))(i);
  }

  static constexpr int kMaxParts = 0xffff;

  // Claim and run the next part of the current job; false when none is left. A successful
  // compare-exchange proves the job read alongside is still current (the lead replaces it
  // only after every part is done, and the 32-bit generation does not come round again
  // while a claim is in flight).
  bool claim() {
    uint64_t s = state_.load(std::memory_order_acquire);
    for (;;) {
      const int idx = static_cast<int>(s & 0xffffu);
      const int parts = static_cast<int>((s >> 16) & 0xffffu);
      if (idx >= parts) return false;
      void (*fn)(void*, int) = fn_.load(std::memory_order_relaxed);
      void* ctx = ctx_.load(std::memory_order_relaxed);
      if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
        fn(ctx, idx);
        done_.fetch_add(1, std::memory_order_release);
        return true;
      }
    }
  }

  std::atomic<uint64_t> state_{0};  // generation << 32 | parts << 16 | next unclaimed part
  std::atomic<void (*)(void*, int)> fn_{nullptr};
  std::atomic<void*> ctx_{nullptr};
  std::atomic<int> done_{0};
  std::atomic<bool> stop_{false};
};

// Run lead(&crew) on one thread while team - 1 helper threads serve its crew, and return
// when lead does (the helpers stop then, also when lead throws). The crew lives for this
// call only, so between calls the caller runs alone (delivers blocks, polls for Ctrl-C).
template <class Lead>
void run_team(int team, Lead&& lead) {
  WorkTeam crew;
  parallel_for(team, team, [&](int w) {
    if (w > 0) return crew.help();
    try {
      lead(&crew);
    } catch (...) {
      crew.stop();
      throw;
    }
    crew.stop();
  });
}

// Run body(begin, end) over [0, n) in parts of `grain` on the crew (each part claimed by
// whichever of its threads is free), or in one piece without a crew or when n <= grain.
// The engines split a product's column panels this way; every element is computed by the
// same arithmetic whichever thread computes it, so the result does not depend on the split.
template <class Body>
void crew_split(WorkTeam* crew, int n, int grain, Body&& body) {
  if (!crew || n <= grain) {
    body(0, n);
    return;
  }
  crew->run((n + grain - 1) / grain,
            [&](int k) { body(k * grain, std::min(n, (k + 1) * grain)); });
}

// Whether one group of streams is stepped with its crew (products split across threads)
// or by its lead thread alone, decided slice by slice (a slice: tens of milliseconds of
// steps) from the time per step each way measured most recently. The first slice runs
// with the crew and the second without; then the faster way runs, and the other is timed
// again after `interval` slices: 4 at first, doubling up to 64 while the decision holds, so
// a wrong choice costs at most about 1/64 of the run once settled, and a change in load
// (other processes taking a core) is followed within a few slices. Sizes alone cannot
// decide it: on a 2-core machine the same product gains 1.6x from a second thread when the
// machine is idle and loses 1.5x when another process holds the other core.
// Either way every element is computed by the same arithmetic, so the choice changes only
// the speed, never the samples. An engine keeps its choosers between calls (CrewMemory), so
// a series of short calls pays for the first two probes once. `split` can force either
// way (the tests force the crew to check that its samples are the same).
enum class Split { measured, always, never };

inline Split parse_split(const std::string& name) {
  if (name == "measured") return Split::measured;
  if (name == "always") return Split::always;
  if (name == "never") return Split::never;
  throw std::invalid_argument("split must be 'measured', 'always' or 'never', got '" + name +
                              "'");
}

class CrewChooser {
 public:
  using Clock = std::chrono::steady_clock;

  explicit CrewChooser(Split split = Split::measured) : split_(split) {}

  bool use_crew() const {
    if (split_ != Split::measured) return split_ == Split::always;
    if (!timed_[1]) return true;
    if (!timed_[0]) return false;
    return since_ >= interval_ ? !faster() : faster();
  }

  // Run slice(crew_or_null) of `steps` steps the chosen way on a team of `team` threads,
  // timing it; the caller's slice must do the same work either way.
  template <class Slice>
  void run(int team, int64_t steps, Slice&& slice) {
    const bool crew = use_crew();
    const auto t0 = Clock::now();
    if (crew)
      run_team(team, [&](WorkTeam* c) { slice(c); });
    else
      slice(static_cast<WorkTeam*>(nullptr));
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    record(crew, dt / static_cast<double>(std::max<int64_t>(steps, 1)));
    steps_ += steps;
    if (crew) crew_steps_ += steps;
  }

  // Fraction of the steps run since the last restart() that the crew shared.
  double crew_fraction() const {
    return steps_ > 0 ? static_cast<double>(crew_steps_) / static_cast<double>(steps_) : 0.0;
  }
  void restart() { steps_ = crew_steps_ = 0; }

 private:
  static constexpr int kFirstInterval = 4, kMaxInterval = 64;

  bool faster() const { return per_step_[1] < per_step_[0]; }  // true: the crew is faster

  void record(bool crew, double per_step) {
    const bool both = timed_[0] && timed_[1];
    const bool probe = both && crew != faster();
    per_step_[crew] = per_step;
    timed_[crew] = true;
    if (probe) {  // re-timed the slower way: back off if it still loses, else start over
      interval_ = crew == faster() ? kFirstInterval : std::min(2 * interval_, kMaxInterval);
      since_ = 0;
    } else if (both) {
      ++since_;
    }
  }

  Split split_;
  double per_step_[2] = {0.0, 0.0};  // seconds per step: [0] alone, [1] with the crew
  bool timed_[2] = {false, false};
  int interval_ = kFirstInterval, since_ = 0;
  int64_t steps_ = 0, crew_steps_ = 0;
};

// An engine's CrewChoosers between calls, one per group size (the time per step depends on
// it), and the share of the last call's steps that a crew ran. Calls may run concurrently
// on one engine: each takes a copy and puts it back when done.
class CrewMemory {
 public:
  explicit CrewMemory(Split split) : split_(split) {}
  Split split() const { return split_; }

  CrewChooser take(int streams) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_streams_.find(streams);
    CrewChooser c = it == by_streams_.end() ? CrewChooser(split_) : it->second;
    c.restart();
    return c;
  }

  // Store `c` (after a call with a crew team) or only the call's share (0: no team).
  void keep(int streams, const CrewChooser* c) const {
    std::lock_guard<std::mutex> lock(mu_);
    if (c) by_streams_.insert_or_assign(streams, *c);
    last_fraction_ = c ? c->crew_fraction() : 0.0;
  }

  double last_fraction() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_fraction_;
  }

 private:
  Split split_;
  mutable std::mutex mu_;
  mutable std::map<int, CrewChooser> by_streams_;
  mutable double last_fraction_ = 0.0;
};

}  // namespace pysynth
