#include "js/watchdog.h"

#include <jsapi.h>
#include <js/Interrupt.h>

#include <chrono>

namespace aviary::js {

Watchdog::Watchdog(JSContext* cx, int tick_ms) : cx_(cx), tick_ms_(tick_ms < 1 ? 1 : tick_ms) {
  thread_ = std::thread([this] { Loop(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void Watchdog::Loop() {
  uint64_t last_seq = 0;  // the call seen running at the previous tick, 0 if none
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(tick_ms_), [this] { return stop_; })) {
    const bool running = in_call_.load(std::memory_order_relaxed);
    const uint64_t seq = seq_.load(std::memory_order_relaxed);
    if (running && seq == last_seq) JS_RequestInterruptCallback(cx_);
    last_seq = running ? seq : 0;
  }
}

}  // namespace aviary::js
