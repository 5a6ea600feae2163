// Scheduling: which task a worker with a free slot gets. Free functions over the job state, so
// that the policy is tested on its own (scheduler_test.cc).
//
// The policy: jobs in submission order; a job's reduces only once every map has a winner (the
// job is in kReducing); a split with a preferred shard goes to a live worker next to that shard,
// and elsewhere only when that shard has no live worker the task has not failed on. A worker
// next to the shard that is merely busy keeps its splits: they wait for its next free slot.
// A task avoids workers it failed on while any other live worker exists.
//
// Thread safety: none; REQUIRES the caller's lock on the state.
#ifndef AVIARY_COORDINATOR_SCHEDULER_H_
#define AVIARY_COORDINATOR_SCHEDULER_H_

#include <map>
#include <string>
#include <vector>

#include "coordinator/job_state.h"

namespace aviary::coordinator {

// The live workers, by id and by shard: built once per heartbeat, so that picking a task costs
// no scan of the workers (and, with the job's IdleMaps, none of its tasks).
class LiveWorkers {
 public:
  explicit LiveWorkers(const std::map<std::string, std::unique_ptr<Worker>>& workers);
  // Some live worker has not failed `task`.
  bool AnyUsable(const Task& task) const;
  // Some live worker sits next to `shard`.
  bool HasShard(const std::string& shard) const;
  // Some live worker next to `shard` has not failed `task`.
  bool ShardHasUsable(const std::string& shard, const Task& task) const;

 private:
  std::vector<std::string> ids_;                             // sorted
  std::map<std::string, std::vector<std::string>> by_shard_;
};

// The next task of `job` for `worker`, or null when the job has none for it now.
Task* PickTask(Job& job, const Worker& worker, const LiveWorkers& live);

// The next idle map task of `job` whose split `host`'s attempt on `worker` may read into its
// own output (carried_splits.h), by the same policy as PickTask; null when there is none.
Task* PickSplitToCarry(Job& job, const Task& host, const Worker& worker, const LiveWorkers& live);

// The tasks for `worker`'s `free_slots`, taken from the jobs in `order`. Each task returned is
// started by `start` before the next is picked (so it is no longer idle).
template <typename StartFn>
void AssignTasks(ClusterState& state, const Worker& worker, uint32_t free_slots, StartFn&& start) {
  if (free_slots == 0) return;
  const LiveWorkers live(state.workers);
  for (const std::string& id : state.job_order) {
    Job& job = *state.jobs[id];
    if (job.finished()) continue;
    while (free_slots > 0) {
      Task* task = PickTask(job, worker, live);
      if (task == nullptr) break;
      start(job, *task);
      free_slots--;
    }
    if (free_slots == 0) return;
  }
}

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_SCHEDULER_H_
