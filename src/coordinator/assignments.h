// Assignments: an attempt started for a task the scheduler picked, and the TaskSpec that tells
// the worker what to run; and taking assignments back when they could not be recorded.
//
// Thread safety: none; REQUIRES the caller's lock on the state.
#ifndef AVIARY_COORDINATOR_ASSIGNMENTS_H_
#define AVIARY_COORDINATOR_ASSIGNMENTS_H_

#include <cstdint>
#include <string>

#include "coordinator/job_state.h"

namespace aviary::coordinator {

// Starts the next attempt of `task` on `worker` at monotonic `now_us` / wall `now_unix`.
// REQUIRES: for a reduce task, every map of `job` has a winner.
rpc::TaskSpec StartAttempt(Job& job, Task& task, const Worker& worker, int64_t now_us, double now_unix);

// Marks the attempts assigned in `response` as never started (lost, so not counted as failures)
// and clears its assignments.
void RevokeAssignments(ClusterState& state, rpc::HeartbeatResponse* response, const std::string& why,
                       double now_unix);

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_ASSIGNMENTS_H_
