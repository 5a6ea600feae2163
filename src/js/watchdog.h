// A thread that asks SpiderMonkey for the interrupt callback while one call runs across two of
// its ticks. The watched thread only bumps two relaxed atomics per call (no clock, no lock), so
// watching costs nothing measurable per document; the callback itself does the measuring.
//
// Thread safety: Enter()/Exit() from the context's thread; the rest is internal.
#ifndef AVIARY_JS_WATCHDOG_H_
#define AVIARY_JS_WATCHDOG_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

struct JSContext;

namespace aviary::js {

class Watchdog {
 public:
  // Starts the thread; `tick_ms` >= 1.
  Watchdog(JSContext* cx, int tick_ms);
  ~Watchdog();  // stops and joins the thread

  void Enter() {
    seq_.fetch_add(1, std::memory_order_relaxed);
    in_call_.store(true, std::memory_order_relaxed);
  }
  void Exit() { in_call_.store(false, std::memory_order_relaxed); }
  // The number of calls entered so far (the current call's number while one runs).
  uint64_t seq() const { return seq_.load(std::memory_order_relaxed); }
  int tick_ms() const { return tick_ms_; }

 private:
  void Loop();

  JSContext* const cx_;  // not owned; JS_RequestInterruptCallback is safe from any thread
  const int tick_ms_;
  std::atomic<uint64_t> seq_{0};
  std::atomic<bool> in_call_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace aviary::js

#endif  // AVIARY_JS_WATCHDOG_H_
