// The coordinator's knobs, shared by the tracker and its parts.
#ifndef AVIARY_COORDINATOR_TRACKER_OPTIONS_H_
#define AVIARY_COORDINATOR_TRACKER_OPTIONS_H_

#include <cstdint>
#include <string>

#include "coordinator/defaults.h"

namespace aviary::coordinator {

// Whether map outputs are LZ4-compressed. kAuto: unless every worker registered so far sits on
// one host (by the host of its address), as in `aviary run` and a one-machine cluster, where no
// fetch crosses a network and compressing costs CPU for nothing.
enum class ShuffleCompression { kAuto, kLz4, kNone };

struct TrackerOptions {
  int64_t worker_timeout_us = 5'000'000;    // a worker silent this long is dead
  // Private (0700, checked) directory holding the spools below; empty: a fresh per-process one
  // (common/private_dir.h), removed when the coordinator stops. Never a fixed /tmp path: another
  // local user could plant a symlink there (docs/reliability.md, "Local files").
  std::string data_dir;
  std::string inline_dir;  // spool for `--output inline` results; set from data_dir at Start
  std::string plugin_dir;  // spool for submitted plugin libraries; set from data_dir at Start
  std::string task_log_dir;  // attempts' stdout and stderr (task_logs.h); set from data_dir at Start. Empty: not kept
  // Journal of jobs not ended yet (coordinator/open_jobs.h); set at Start without a metadata
  // store only. Empty: none.
  std::string open_jobs_dir;
  int64_t attempt_timeout_us = 30'000'000;  // an attempt without progress this long is re-issued
  uint32_t max_attempts = kDefaultMaxAttempts;  // failed attempts of one task before the job fails
  uint32_t heartbeat_ms = 100;
  // The slots to plan for at least, registered or not: a private cluster (`aviary run`) submits
  // while its workers start, so that their first heartbeat already brings a task. 0: none.
  uint32_t expected_slots = 0;
  // A running map attempt is granted more splits (carried_splits.h) until its own and carried
  // splits add up to this many bytes (estimated): bounds the work a failure repeats. 0: none.
  uint64_t max_carried_bytes = 256ull << 20;
  ShuffleCompression shuffle_compression = ShuffleCompression::kAuto;
  int64_t tick_us = 100'000;  // how often the server checks timeouts and commits finished jobs
  // Finished jobs stay listed (status, counters, an unread inline result) this long after they end, then
  // are dropped with their spools; dead workers leave the list after the second. 0: forever.
  int64_t job_retention_us = 24LL * 3600 * 1'000'000;
  int64_t dead_worker_retention_us = 600LL * 1'000'000;
};

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_TRACKER_OPTIONS_H_
