// What workers tell the coordinator in their heartbeats: the attempts still running (with their
// progress) and the results of finished ones, and what those do to their tasks and jobs.
// Assignments are made by the scheduler (scheduler.h) and recorded by assignments.h.
//
// Thread safety: none; REQUIRES the caller's lock on the state.
#ifndef AVIARY_COORDINATOR_WORKER_REPORTS_H_
#define AVIARY_COORDINATOR_WORKER_REPORTS_H_

#include <cstdint>
#include <string>

#include "coordinator/job_state.h"

namespace aviary::coordinator {

// Applies one heartbeat's reports from `worker` (known and alive) at monotonic time `now_us`,
// wall time `now_unix`: results first, then running attempts. Attempts the coordinator does not
// want any more (duplicates of a finished task, of a finished job, unknown) go on the kill list.
void ApplyHeartbeat(ClusterState& state, Worker& worker, const rpc::HeartbeatRequest& request, int64_t now_us,
                    double now_unix, rpc::HeartbeatResponse* response);

// Records `result` of one of `worker`'s attempts. A success makes the attempt the task's winner
// unless another won first; a failure is retried, up to the job's max_attempts.
void HandleResult(ClusterState& state, Worker& worker, const rpc::TaskResult& result, double now_unix,
                  rpc::HeartbeatResponse* response);

// Map task `map_task`'s output is gone (its worker died, a reducer cannot fetch it): the map is
// run again, and the job goes back to mapping if it was reducing.
void MarkMapOutputLost(Job& job, uint32_t map_task, const std::string& why);

// Fails `job` with `error`: it stops running tasks and its output is aborted by the commit step.
// A commit already under way is left to finish: every partition has its winner by then.
void FailJob(Job& job, const std::string& error, double now_unix);

// Adds a kill order for attempt `number` of `task` to `response`.
void AddKill(const Job& job, const Task& task, uint32_t number, rpc::HeartbeatResponse* response);

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_WORKER_REPORTS_H_
