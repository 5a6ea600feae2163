#include "coordinator/ids.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <random>

namespace aviary::coordinator {
namespace {

std::string RandomSuffix() {
  static thread_local std::mt19937_64 rng(std::random_device{}() ^ static_cast<uint64_t>(::getpid()));
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(rng() & 0xffff));
  return suffix;
}

}  // namespace

std::string NewJobId(Env& env, ClusterState& state) {
  // Unique across coordinator restarts: wall-clock time plus randomness.
  const std::time_t now = static_cast<std::time_t>(env.NowUnixMicros() / 1'000'000);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &utc);
  return "job-" + std::string(stamp) + "-" + std::to_string(state.next_job++) + RandomSuffix();
}

std::string NewWorkerId(ClusterState& state) {
  // The counter starts again at 1 in a coordinator that took over: never reuse a restored id.
  std::string id;
  do {
    id = "w" + std::to_string(state.next_worker++) + "-" + RandomSuffix();
  } while (state.workers.count(id));
  return id;
}

}  // namespace aviary::coordinator
