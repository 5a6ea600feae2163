// Commit and abort: the last step of a job. A job whose partitions all have a winner has its
// output committed with exactly one attempt per partition; a failed or cancelled one has its
// temporary output removed. Only then does the job end for clients, so `--wait` never returns
// before the output is final.
//
// The steps split around the slow output call, which runs without the tracker's lock:
// TakeFinishWork and the Apply/Undo calls REQUIRE the lock; RunFinishWork must not hold it.
#ifndef AVIARY_COORDINATOR_COMMIT_H_
#define AVIARY_COORDINATOR_COMMIT_H_

#include <string>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "coordinator/job_state.h"

namespace aviary::coordinator {

struct FinishWork {
  Job* job;  // not owned; jobs are never erased, so it stays valid
  bool commit;
  std::vector<CommittedPartition> winners;  // commit only
};

// The jobs to commit (now kCommitUnderway) or abort (kFailing, kCancelling), marked dirty so
// that the commit is on record before the output is touched.
std::vector<FinishWork> TakeFinishWork(ClusterState& state);
// The work could not be recorded: the commits go back to kCommitting, to be tried again.
void UndoFinishWork(ClusterState& state, const std::vector<FinishWork>& work);
// Commits or aborts the job's output.
Status RunFinishWork(const FinishWork& work);

// Before a job commits, its input's layout is checked against the one it was planned on
// (JobSpec.input_layout), before "commit under way" is recorded, so that a successor redoing
// a commit never aborts one half done. A change (a chunk migrated during the job) fails the job
// instead: its output is aborted, nothing committed. Take/Apply REQUIRE the lock;
// CheckInputLayout runs without it.
struct LayoutCheck {
  std::string job_id;
  rpc::JobSpec spec;
};
std::vector<LayoutCheck> TakeLayoutChecks(ClusterState& state);
// OK when the job's input still has the layout it was planned on.
Status CheckInputLayout(const rpc::JobSpec& spec, Env* env);
void ApplyLayoutCheck(ClusterState& state, const LayoutCheck& check, const Status& result, double now_unix);
// Ends the job after its output call returned `result`.
void ApplyFinishResult(ClusterState& state, const FinishWork& work, const Status& result, double now_unix);

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_COMMIT_H_
