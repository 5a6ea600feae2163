// Housekeeping: finished jobs are kept for a retention time (their status and counters stay
// readable, and an inline result until it is read), then dropped with their inline result
// spools and, once no kept job
// uses them, their plugin libraries; workers dead for a while leave the worker list. Driven by
// the tracker's Housekeep with the Env's clocks, so tests move time by hand.
//
// Thread safety: none; REQUIRES the caller's lock on the state.
#ifndef AVIARY_COORDINATOR_HOUSEKEEPING_H_
#define AVIARY_COORDINATOR_HOUSEKEEPING_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "coordinator/job_state.h"
#include "coordinator/tracker_options.h"

namespace aviary::coordinator {

// What one pass took out of the state; the caller deletes the rest outside the lock.
struct Dropped {
  std::vector<std::string> jobs;
  std::vector<std::string> workers;
  std::vector<std::string> inline_spools;  // result directories of dropped `--output inline` jobs
  std::set<std::string> unused_plugins;    // SHA-256 of libraries no kept job names
};

// Removes from `state` every job that ended more than options.job_retention_us before
// `now_unix` (wall clock, as job end times are) and every worker dead for more than
// options.dead_worker_retention_us before `now_us` (monotonic, since declared dead). A retention of 0 keeps forever.
Dropped DropExpired(ClusterState& state, const TrackerOptions& options, int64_t now_us, double now_unix);

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_HOUSEKEEPING_H_
