// The coordinator's state: jobs, their tasks and attempts, and the workers, with the lifecycle of
// a job and of an attempt as explicit state machines. Every change of a job's phase or of an
// attempt's state goes through SetPhase / SetState, which crash on an illegal transition: a
// coordinator with a broken invariant is better dead (its standby takes over) than wrong.
//
// Thread safety: none here; JobTracker guards all of it with its mutex.
#ifndef AVIARY_COORDINATOR_JOB_STATE_H_
#define AVIARY_COORDINATOR_JOB_STATE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "coordinator/idle_maps.h"
#include "rpc/aviary.pb.h"
#include "storage/output.h"

namespace aviary::coordinator {

// A job's life. Clients see it through PublicState (rpc::JobState).
enum class JobPhase {
  kPlanning,        // being planned by Submit; not yet visible
  kMapping,         // map tasks to run (again, after a lost map output)
  kReducing,        // every map has a winner; reduce tasks to run
  kCommitting,      // every partition has a winner; the output is to be committed
  kCommitUnderway,  // the commit is running now (a successor redoes it from kCommitting)
  kFailing,         // failed; the temporary output is to be removed, then kFailed
  kCancelling,      // cancelled; the temporary output is to be removed, then kCancelled
  kSucceeded,
  kFailed,
  kCancelled,
};

enum class AttemptState { kRunning, kSucceeded, kFailed, kKilled, kLost };

const char* PhaseName(JobPhase phase);
std::optional<JobPhase> PhaseFromName(const std::string& name);
const char* AttemptStateName(AttemptState state);
std::optional<AttemptState> AttemptStateFromName(const std::string& name);
// The state reported to clients: both commit phases are COMMITTING, both abort phases ABORTING.
rpc::JobState PublicState(JobPhase phase);
// Whether `from` -> `to` is a step the lifecycle allows.
bool IsLegalTransition(JobPhase from, JobPhase to);
bool IsLegalTransition(AttemptState from, AttemptState to);

struct Attempt {
  uint32_t number = 0;
  std::string worker_id;
  std::string worker_address;
  AttemptState state = AttemptState::kRunning;
  int64_t start_us = 0;          // monotonic
  int64_t last_progress_us = 0;  // monotonic
  uint64_t progress = 0;
  double start_unix = 0;
  double end_unix = 0;
  std::string error;
  rpc::TaskResult result;
  rpc::TaskCounters live;  // the latest counters the running attempt reported (not persisted)
  // Map: the tasks whose splits were granted to this attempt besides its own, in grant order
  // (carried_splits.h). Not persisted: rebuilt from the tasks' carriers.
  std::vector<uint32_t> carries;
  // Made when its carrier won: the split was read by map task carried_by_task's attempt
  // carried_by_attempt, into that attempt's output.
  bool carried = false;
  uint32_t carried_by_task = 0;
  uint32_t carried_by_attempt = 0;

  // Crashes unless IsLegalTransition(state, to).
  void SetState(AttemptState to);
};

struct Task {
  rpc::TaskKind kind = rpc::MAP;
  uint32_t index = 0;
  rpc::TaskState state = rpc::IDLE;
  std::vector<Attempt> attempts;
  uint32_t failures = 0;
  int winner = -1;  // index into attempts of the attempt whose output counts
  std::set<std::string> failed_on;
  rpc::InputSplit split;  // map tasks only
  // Set while another map task's running attempt reads this task's split (the task is RUNNING
  // with no attempt of its own), and kept once that attempt won (the task is DONE, its winner
  // made from the carrier's result). Cleared when the carrier ended otherwise, or the output
  // was lost.
  std::optional<rpc::Carrier> carrier;

  Attempt* FindAttempt(uint32_t number);
  // An attempt of its own runs, or another task's attempt reads its split now.
  bool HasRunningAttempt() const;
  // Another task's running attempt reads this task's split now.
  bool Carried() const { return carrier.has_value() && state == rpc::RUNNING; }
  // Its carrier is attempt `attempt` of map task `task` (reading it now, or having read it).
  bool CarriedBy(uint32_t task, uint32_t attempt) const {
    return carrier.has_value() && carrier->task() == task && carrier->attempt() == attempt;
  }
  // REQUIRES: winner >= 0.
  const Attempt& Winner() const { return attempts[static_cast<size_t>(winner)]; }
  // A running task whose last attempt ended is up for grabs again. True when it became idle.
  // (Call Job::ReleaseIfNoneRunning, which tells the scheduler's index.)
  bool ReleaseIfNoneRunning();
  std::string Name() const;  // "map task 3"
};

struct Job {
  std::string id;
  rpc::JobSpec spec;
  JobPhase phase = JobPhase::kPlanning;
  std::string error;
  std::vector<Task> maps;
  std::vector<Task> reduces;
  std::unique_ptr<OutputFormat> output;
  double submit_unix = 0;
  double end_unix = 0;
  uint32_t maps_done = 0;
  uint32_t reduces_done = 0;
  // An `--output inline` result is handed out once, then removed (docs/reliability.md, "Leftovers").
  enum class InlineRead { kUnread, kReading, kRead };
  InlineRead inline_read = InlineRead::kUnread;
  // The input's layout was found unchanged since planning (commit.h, CheckInputLayout), so the
  // job may commit. Not persisted: a job restored with its commit under way was checked by
  // its predecessor before that was recorded.
  bool input_layout_checked = false;
  // The scheduler's index of idle map tasks (idle_maps.h). Not persisted.
  IdleMaps idle_maps;
  // What every reduce of the job fetches, by host, and the map winners it was built from
  // (assignments.cc): built for the first reduce, rebuilt only after a map won anew. Not
  // persisted.
  struct MapOutputIndex {
    std::vector<int> winners;  // Task::winner of each map
    google::protobuf::RepeatedPtrField<rpc::MapOutputHost> hosts;
  };
  MapOutputIndex map_output_index;

  // Crashes unless IsLegalTransition(phase, to).
  void SetPhase(JobPhase to);
  // `task` of this job became IDLE: the scheduler may pick it again.
  void NoteIdle(const Task& task) {
    if (task.kind == rpc::MAP) idle_maps.Add(task);
  }
  // Task::ReleaseIfNoneRunning, noted. The splits carried by the task's attempts that ended
  // are released first.
  void ReleaseIfNoneRunning(Task& task);
  // The tasks `host`'s attempt `a` carries and still reads (Task::Carried) go back to IDLE,
  // unless another attempt of theirs runs. For an attempt that ended without winning.
  void ReleaseCarried(const Task& host, const Attempt& a);
  // Ends what still runs of a job that no longer needs it (cancelled, failed, or with every
  // partition done): running attempts become kKilled (their workers are told to kill them on
  // their next heartbeat, and later reports of them are ignored) and unfinished tasks IDLE
  // (never run to the end), so no ghost of the job shows as running.
  void StopOpenTasks(const std::string& why, double now_unix);
  // No task of it runs any more: it succeeded, failed or was cancelled, or is being aborted.
  bool finished() const;
  // The coordinator's spool directory of an `--output inline` job; empty for other jobs.
  std::string InlineSpoolDir() const;
  std::vector<Task>& tasks(rpc::TaskKind kind) { return kind == rpc::MAP ? maps : reduces; }
  // The task `kind`/`index`, or null when there is no such task.
  Task* FindTask(rpc::TaskKind kind, uint32_t index);
};

struct Worker {
  std::string id;
  rpc::RegisterWorkerRequest info;
  bool alive = true;
  int64_t last_heartbeat_us = 0;  // monotonic
  double last_heartbeat_unix = 0;
  int64_t dead_since_us = 0;  // monotonic; when it was declared dead (or restored dead)
  std::set<std::string> cleaned_jobs;  // finished jobs the worker was told to delete
};

// An attempt with its job and task (ClusterState::FindAttempt); all null when any is unknown.
struct FoundAttempt {
  Job* job = nullptr;
  Task* task = nullptr;
  Attempt* attempt = nullptr;
};

// Everything JobTracker keeps under its mutex, with the lists of what changed since the last
// write to the metadata store.
struct ClusterState {
  std::map<std::string, std::unique_ptr<Job>> jobs;
  std::vector<std::string> job_order;  // submission order
  std::map<std::string, std::unique_ptr<Worker>> workers;
  uint64_t next_worker = 1;
  uint64_t next_job = 1;
  bool track_changes = false;  // set when there is a store to write changes to
  std::set<std::string> dirty_jobs;
  std::set<std::string> dirty_workers;

  void MarkDirty(const Job& job);
  void MarkDirty(const Worker& worker);
  Job* FindJob(const std::string& id);
  FoundAttempt FindAttempt(const std::string& job_id, rpc::TaskKind kind, uint32_t task, uint32_t number);
  uint32_t LiveSlots() const;
};

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_JOB_STATE_H_
