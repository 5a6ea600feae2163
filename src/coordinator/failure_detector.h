// Failure detection: workers silent for the worker timeout are declared dead (their running
// attempts are lost, their map outputs re-executed), and attempts without progress for the
// attempt timeout are re-issued. Driven by the tracker's Tick with the Env's clocks, so tests
// move time by hand (failure_detector_test.cc).
//
// Thread safety: none; REQUIRES the caller's lock on the state.
#ifndef AVIARY_COORDINATOR_FAILURE_DETECTOR_H_
#define AVIARY_COORDINATOR_FAILURE_DETECTOR_H_

#include <cstdint>
#include <string>

#include "coordinator/job_state.h"
#include "coordinator/tracker_options.h"

namespace aviary::coordinator {

// Declares dead every live worker that has not heartbeat for options.worker_timeout_us at
// monotonic time `now_us`.
void CheckSilentWorkers(ClusterState& state, const TrackerOptions& options, int64_t now_us, double now_unix);

// Marks `worker` dead: its running attempts are lost (not failures) and its finished map
// outputs, which lived on its disk, are re-executed unless every reduce of their job is done.
void DeclareWorkerDead(ClusterState& state, Worker& worker, const std::string& why, double now_unix);

// Re-issues every running attempt that reported no progress for options.attempt_timeout_us.
void CheckSilentAttempts(ClusterState& state, const TrackerOptions& options, int64_t now_us, double now_unix);

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_FAILURE_DETECTOR_H_
