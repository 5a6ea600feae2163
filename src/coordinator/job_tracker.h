// JobTracker: the coordinator's brain, and the one lock over its state. It plans jobs into map
// and reduce tasks, hands tasks to workers as they heartbeat, follows every attempt,
// re-executes what a dead or silent worker held, and commits each job's output exactly once.
// The work is done by its parts, free functions over the state (job_state.h):
//   planner.h (Submit), scheduler.h and assignments.h (which task a worker gets),
//   worker_reports.h (heartbeats and results), failure_detector.h (silent workers and attempts),
//   commit.h (commit and abort), status_report.h (what clients see), persistence.h (the store).
//
// It does no networking: the gRPC service (CoordinatorServer, coordinator/server.h) calls it,
// and tests drive it directly with fake clocks through Env.
//
// Thread safety: all public methods are safe to call concurrently; Tick from one thread only.
#ifndef AVIARY_COORDINATOR_JOB_TRACKER_H_
#define AVIARY_COORDINATOR_JOB_TRACKER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "coordinator/job_state.h"
#include "coordinator/metadata_store.h"
#include "coordinator/task_logs.h"
#include "coordinator/tracker_options.h"
#include "rpc/aviary.pb.h"

namespace aviary::coordinator {

class OpenJobJournal;

class JobTracker {
 public:
  // `env` (borrowed) supplies both clocks and file access for output commits. With a `store`
  // (borrowed, may be null) every change is written through to it, tagged with `term`.
  JobTracker(Env* env, TrackerOptions options, MetadataStore* store = nullptr, uint64_t term = 0);
  ~JobTracker();

  // Loads the jobs and workers a previous coordinator left in the store, to carry on with them.
  // Workers count as alive until their timeout runs out; a commit under way is redone.
  Status Restore();
  // Writes every changed job and worker to the store. Called after each change batch.
  Status Flush();
  uint64_t term() const { return term_; }
  // Stops this tracker for good: from now on it writes nothing to the store and neither commits
  // nor aborts an output. Called when its coordinator steps down, because another coordinator
  // may already be acting on the same jobs; calls still under way on it then do no harm.
  void Fence() {
    fenced_ = true;
    ReleaseHeldHeartbeats();
  }
  // Answers every heartbeat held for work (HeartbeatRequest.hold_ms) and every GetJob() held
  // for a job's end now, and holds none from now on: called when the server stops or steps
  // down, so that no call waits out its hold.
  void ReleaseHeldHeartbeats();
  // How many heartbeats are being held for work now.
  uint32_t HeldHeartbeats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return held_;
  }
  // How many GetJob() calls are being held for their job's end now.
  uint32_t HeldJobReads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return held_reads_;
  }

  // Plans `spec` into tasks and prepares its output. Errors (missing input, an output that already
  // holds a result, a bad URI) are returned here, before anything runs.
  StatusOr<std::string> Submit(rpc::JobSpec spec);

  rpc::RegisterWorkerResponse RegisterWorker(const rpc::RegisterWorkerRequest& request);
  rpc::HeartbeatResponse Heartbeat(const rpc::HeartbeatRequest& request);

  // `hold_ms` > 0: see GetJobRequest.hold_ms.
  StatusOr<rpc::JobStatus> GetJob(const std::string& job_id, bool with_tasks, uint32_t hold_ms = 0);
  std::vector<rpc::JobStatus> ListJobs();
  // Fails a job that has not ended yet; refused once its output is being committed.
  Status Cancel(const std::string& job_id);
  rpc::ClusterStatusResponse ClusterStatus();
  // The result files of a finished job that wrote `--output inline`, in partition order, for one
  // reader at a time: each claim ends with ReleaseInlineOutput. Once a reader has had it all,
  // the result is removed and later claims are refused saying so.
  StatusOr<std::vector<std::string>> ClaimInlineOutput(const std::string& job_id);
  void ReleaseInlineOutput(const std::string& job_id, bool delivered);
  // The job's task logs that pass `filter` (coordinator/task_logs.h), each with the address of
  // the worker that ran the attempt. NotFound for a job this coordinator does not list.
  StatusOr<std::vector<rpc::TaskLog>> ReadTaskLogs(const std::string& job_id, const TaskLogFilter& filter);

  // Declares silent workers dead, re-issues silent attempts, and commits or aborts finished jobs.
  // Called periodically by one thread.
  void Tick();
  // Drops jobs and dead workers past their retention (coordinator/housekeeping.h) from the state
  // and the store, and removes the dropped jobs' inline spools. Returns the plugin libraries no
  // kept job uses, for the caller's plugin store to forget. Called by the Tick thread.
  std::set<std::string> Housekeep();

 private:
  rpc::HeartbeatResponse HeartbeatLocked(const rpc::HeartbeatRequest& request);
  void AssignLocked(Worker& worker, uint32_t free_slots, rpc::HeartbeatResponse* response);
  void HoldForWork(std::unique_lock<std::mutex>& lock, const rpc::HeartbeatRequest& request,
                   rpc::HeartbeatResponse* response);
  // Wakes the held heartbeats: a job was submitted or an attempt ended. REQUIRES: mu_ held.
  void NoteNewWorkLocked();
  // Files the reported attempts' output as task logs; returns the request without them, so
  // that job state never holds a log. Runs without mu_ held (files are written).
  rpc::HeartbeatRequest FileTaskLogs(const rpc::HeartbeatRequest& request);
  Status CancelLocked(const std::string& job_id);
  // Commits (or aborts) jobs whose tasks are all finished; runs without mu_ held.
  void FinishJobs();
  double NowUnix() const { return static_cast<double>(env_->NowUnixMicros()) / 1e6; }
  // Whether map attempts compress their output (TrackerOptions::shuffle_compression).
  bool CompressMapOutputLocked();
  Status SaveRecords(const std::vector<rpc::JobRecord>& jobs, const std::vector<rpc::WorkerRecord>& workers);

  Env* const env_;
  const TrackerOptions options_;
  TaskLogs task_logs_;
  std::unique_ptr<OpenJobJournal> journal_;  // jobs not ended, without a store (open_jobs.h)
  MetadataStore* const store_;  // may be null; not owned
  const uint64_t term_;
  std::atomic<bool> fenced_{false};
  std::mutex flush_mu_;  // serializes Flush() so older snapshots never overwrite newer

  mutable std::mutex mu_;
  ClusterState state_;  // GUARDED_BY(mu_)
  std::condition_variable work_cv_;  // NoteNewWorkLocked() -> HoldForWork()
  std::condition_variable ended_cv_;  // a job ended -> GetJob() calls held for it
  uint64_t work_epoch_ = 0;    // GUARDED_BY(mu_); bumped whenever tasks may have become ready
  uint32_t held_ = 0;          // GUARDED_BY(mu_); heartbeats being held
  // GUARDED_BY(mu_): CompressMapOutputLocked()'s answer, and the workers' count and
  // ClusterState::next_worker when it was found.
  bool workers_on_one_host_ = true;
  std::pair<size_t, uint64_t> workers_checked_{0, 0};
  uint32_t held_reads_ = 0;    // GUARDED_BY(mu_); GetJob() calls being held
  bool release_held_ = false;  // GUARDED_BY(mu_)
};

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_JOB_TRACKER_H_
