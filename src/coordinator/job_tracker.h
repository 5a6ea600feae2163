// JobTracker: the coordinator's brain. It plans jobs into map and reduce tasks, hands tasks to
// workers as they heartbeat, follows every attempt, re-executes what a dead or silent worker held,
// and commits each job's output exactly once.
//
// It does no networking: the gRPC service (coordinator/service.h) calls it, and tests drive it
// directly with a fake clock through Env.
//
// Thread safety: all public methods are safe to call concurrently.
#ifndef AVIARY_COORDINATOR_JOB_TRACKER_H_
#define AVIARY_COORDINATOR_JOB_TRACKER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "coordinator/defaults.h"
#include "coordinator/metadata_store.h"
#include "rpc/aviary.pb.h"
#include "storage/output.h"

namespace aviary::coordinator {

struct TrackerOptions {
  int64_t worker_timeout_us = 5'000'000;    // a worker silent this long is dead
  std::string inline_dir = "/tmp/aviary-inline";  // spool for `--output inline` results
  std::string plugin_dir = "/tmp/aviary-plugins";  // spool for submitted plugin libraries
  int64_t attempt_timeout_us = 30'000'000;  // an attempt without progress this long is re-issued
  uint32_t max_attempts = kDefaultMaxAttempts;  // failed attempts of one task before the job fails
  uint32_t heartbeat_ms = 100;
  int64_t tick_us = 100'000;  // how often the server checks timeouts and commits finished jobs
};

class JobTracker {
 public:
  // `env` (borrowed) supplies the clock and file access for output commits. With a `store`
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
  void Fence() { fenced_ = true; }

  // Plans `spec` into tasks and prepares its output. Errors (missing input, an output that already
  // holds a result, a bad URI) are returned here, before anything runs.
  StatusOr<std::string> Submit(rpc::JobSpec spec);

  rpc::RegisterWorkerResponse RegisterWorker(const rpc::RegisterWorkerRequest& request);
  rpc::HeartbeatResponse Heartbeat(const rpc::HeartbeatRequest& request);

  StatusOr<rpc::JobStatus> GetJob(const std::string& job_id, bool with_tasks);
  std::vector<rpc::JobStatus> ListJobs();
  Status Cancel(const std::string& job_id);
  Status CancelLocked(const std::string& job_id);
  rpc::ClusterStatusResponse ClusterStatus();
  // The result files of a finished job that wrote `--output inline`, in partition order.
  StatusOr<std::vector<std::string>> InlineOutputFiles(const std::string& job_id);

  // Declares silent workers dead, re-issues silent attempts, and commits or aborts finished jobs.
  // Called periodically by one thread.
  void Tick();

 private:
  struct Attempt;
  struct Task;
  struct Job;
  struct Worker;

  rpc::HeartbeatResponse HeartbeatLocked(const rpc::HeartbeatRequest& request);
  // Takes back the assignments of a response whose attempts could not be recorded in the store.
  void RevokeAssignments(rpc::HeartbeatResponse* response, const std::string& why);
  // All helpers below REQUIRE mu_ held.
  void HandleResult(Worker& worker, const rpc::TaskResult& result, rpc::HeartbeatResponse* response);
  void HandleFailure(Job& job, Task& task, Attempt& attempt, const rpc::TaskResult& result);
  void MarkMapOutputLost(Job& job, uint32_t map_task, const std::string& why);
  void AssignTasks(Worker& worker, uint32_t free_slots, rpc::HeartbeatResponse* response);
  Task* PickTask(Job& job, const Worker& worker);
  rpc::TaskSpec StartAttempt(Job& job, Task& task, Worker& worker);
  void FailJob(Job& job, const std::string& error);
  void DeclareWorkerDead(Worker& worker, const std::string& why);
  void CheckSilentAttempts(int64_t now);
  bool HasOtherLiveWorker(const Task& task) const;
  bool ShardHasUsableWorker(const std::string& shard, const Task& task) const;
  double NowUnix() const;
  uint32_t TotalLiveSlots() const;
  uint32_t TotalLiveSlotsLocked() const;  // REQUIRES: mu_ held
  void FillStatus(const Job& job, bool with_tasks, rpc::JobStatus* out) const;
  std::string NewJobId();
  std::string NewWorkerId();

  // Commits (or aborts) jobs whose tasks are all finished; runs without mu_ held.
  void FinishJobs();
  void MarkDirty(const Job& job);      // REQUIRES: mu_ held
  void MarkDirty(const Worker& worker);  // REQUIRES: mu_ held
  static rpc::JobRecord ToRecord(const Job& job);
  std::unique_ptr<Job> FromRecord(const rpc::JobRecord& record);

  Env* const env_;
  const TrackerOptions options_;
  MetadataStore* const store_;  // may be null; not owned
  const uint64_t term_;
  std::atomic<bool> fenced_{false};
  std::mutex flush_mu_;          // serializes Flush() so older snapshots never overwrite newer

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Job>> jobs_;        // GUARDED_BY(mu_)
  std::vector<std::string> job_order_;                       // GUARDED_BY(mu_) submission order
  std::map<std::string, std::unique_ptr<Worker>> workers_;  // GUARDED_BY(mu_)
  uint64_t next_worker_ = 1;                                 // GUARDED_BY(mu_)
  uint64_t next_job_ = 1;                                    // GUARDED_BY(mu_)
  std::set<std::string> dirty_jobs_;                         // GUARDED_BY(mu_)
  std::set<std::string> dirty_workers_;                      // GUARDED_BY(mu_)
};

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_JOB_TRACKER_H_
