// Carried splits: a running map attempt asks for more idle map tasks and reads their splits into
// its own output, so a slot that runs faster reads more without a task start or an output per
// split, and the slots of a wave end together (docs/architecture.md, "Carried splits").
//
// Bookkeeping, all under the tracker's lock and persisted with the job: a carried task is
// RUNNING with Task::carrier naming the attempt, its claim number (seq) and when it was granted;
// the attempt lists its carried tasks in Attempt::carries. When the carrier wins, each carried
// task is DONE with a winner made from the carrier's result, and its output is the carrier's.
// When the carrier ends otherwise, they go back to IDLE (Job::ReleaseIfNoneRunning). A lost
// output loses all of them together (MarkMapOutputLost). Claims are idempotent by seq, so a
// worker that lost an answer, or asks a successor coordinator, gets the same grant again.
//
// Thread safety: none; REQUIRES the caller's lock on the state.
#ifndef AVIARY_COORDINATOR_CARRIED_SPLITS_H_
#define AVIARY_COORDINATOR_CARRIED_SPLITS_H_

#include <cstdint>

#include "coordinator/job_state.h"

namespace aviary::coordinator {

// Answers the claims of `request` from `worker` (known and alive) in `response`. An attempt
// whose own and carried splits add up to `max_bytes` (estimated) is granted nothing more;
// 0: nothing is ever granted.
void GrantSplits(ClusterState& state, const Worker& worker, const rpc::HeartbeatRequest& request, uint64_t max_bytes,
                 double now_unix, rpc::HeartbeatResponse* response);

// Undoes the grants in `response` (they could not be recorded) and removes them; the worker asks
// again.
void RevokeGrants(ClusterState& state, rpc::HeartbeatResponse* response);

// Whether the successful `result` of `host`'s attempt `a` read exactly the splits granted to it.
bool CarriedAsGranted(const Job& job, const Task& host, const Attempt& a, const rpc::TaskResult& result);

// `host`'s attempt `a` won: each task it carried is DONE, its winner made from `result`.
void CompleteCarried(Job& job, const Task& host, const Attempt& a, const rpc::TaskResult& result, double now_unix);

// The task of the carried split that `host`'s attempt `a` failed in (the last split of `result`,
// marked failed, and still carried by it), or null when the failure is the attempt's own.
Task* SplitFailedIn(Job& job, const Task& host, const Attempt& a, const rpc::TaskResult& result);

// Records the failure of `host`'s attempt `a` on `task`, whose carried split it failed in, as a
// failed attempt of `task`'s own (so that retries and the same user error twice count where the
// input is), and ends the carrying. Returns that attempt.
Attempt& RecordCarriedFailure(Task& task, const Task& host, const Attempt& a, const rpc::TaskResult& result,
                              double now_unix);

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_CARRIED_SPLITS_H_
