// What a worker's /metrics shows: attempts it ran by kind and outcome, their records, bytes,
// spills and durations, its slots, and its heartbeats to the coordinator.
//
// Thread safety: all methods are safe to call concurrently (the daemon's loop records, the
// HTTP server's threads render).
#ifndef AVIARY_WORKER_WORKER_METRICS_H_
#define AVIARY_WORKER_WORKER_METRICS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "http/metrics_text.h"
#include "rpc/aviary.pb.h"

namespace aviary::worker {

class WorkerMetrics {
 public:
  WorkerMetrics(std::string worker_address, uint32_t slots) : address_(std::move(worker_address)), slots_(slots) {}

  // An attempt ended with `result` after `seconds`.
  void AttemptEnded(const rpc::TaskResult& result, double seconds);
  void SetRunning(uint32_t running);
  // A heartbeat was answered (ok) or failed; now_us is the monotonic clock.
  void Heartbeat(bool ok, int64_t now_us, uint64_t term);
  // The exposition text; now_us as for Heartbeat.
  std::string Render(int64_t now_us) const;

 private:
  struct PerKind {
    std::map<std::string, uint64_t> outcomes;  // succeeded | failed
    uint64_t records_in = 0, records_out = 0, bytes_in = 0, bytes_out = 0, spills = 0;
    http::Histogram durations{http::AttemptDurationBounds()};
  };
  const std::string address_;
  const uint32_t slots_;
  mutable std::mutex mu_;
  std::map<std::string, PerKind> kinds_;  // GUARDED_BY(mu_); "map", "reduce"
  uint32_t running_ = 0;                  // GUARDED_BY(mu_)
  uint64_t heartbeat_errors_ = 0;         // GUARDED_BY(mu_)
  int64_t last_heartbeat_ok_us_ = 0;      // GUARDED_BY(mu_)
  uint64_t term_ = 0;                     // GUARDED_BY(mu_)
};

}  // namespace aviary::worker

#endif  // AVIARY_WORKER_WORKER_METRICS_H_
