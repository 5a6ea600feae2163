// FakeClockEnv: the default Env with both clocks stopped, for tests. Time moves only when the
// test says so: Advance moves the monotonic and the wall clock together.
//
// Thread safety: the clocks may be read and moved from any thread.
#ifndef AVIARY_COMMON_FAKE_CLOCK_ENV_H_
#define AVIARY_COMMON_FAKE_CLOCK_ENV_H_

#include <atomic>
#include <cstdint>

#include "common/env.h"

namespace aviary {

class FakeClockEnv : public EnvWrapper {
 public:
  FakeClockEnv() : EnvWrapper(Env::Default()) {}
  int64_t NowMicros() override { return now_us_; }
  int64_t NowUnixMicros() override { return unix_us_; }
  void Advance(int64_t micros) {
    now_us_ += micros;
    unix_us_ += micros;
  }

 private:
  std::atomic<int64_t> now_us_{1'000'000};
  std::atomic<int64_t> unix_us_{1'800'000'000'000'000};  // 2027-01-15 08:00:00 UTC
};

}  // namespace aviary

#endif  // AVIARY_COMMON_FAKE_CLOCK_ENV_H_
