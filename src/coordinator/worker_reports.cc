#include "coordinator/worker_reports.h"

#include <spdlog/spdlog.h>

#include "common/utf8.h"
#include "coordinator/carried_splits.h"

namespace aviary::coordinator {
namespace {

void HandleRunning(ClusterState& state, const Worker& worker, const rpc::RunningAttempt& running, int64_t now_us,
                   rpc::HeartbeatResponse* response) {
  FoundAttempt f = state.FindAttempt(running.job_id(), running.kind(), running.task(), running.attempt());
  const bool wanted = f.attempt && f.attempt->state == AttemptState::kRunning && !f.job->finished() &&
                      f.task->state != rpc::DONE && f.attempt->worker_id == worker.id;
  if (!wanted) {
    rpc::AttemptRef* kill = response->add_kill();
    kill->set_job_id(running.job_id());
    kill->set_kind(running.kind());
    kill->set_task(running.task());
    kill->set_attempt(running.attempt());
    return;
  }
  if (running.has_counters()) f.attempt->live = running.counters();
  if (running.records_in() != f.attempt->progress) {
    f.attempt->progress = running.records_in();
    f.attempt->last_progress_us = now_us;
  }
}

// A reducer could not fetch some map outputs: not the task's fault. Re-run those maps, then retry.
void HandleLostInputs(Job& job, Task& task, Attempt& attempt, const rpc::TaskResult& result) {
  attempt.SetState(AttemptState::kLost);
  attempt.error = result.error();
  for (uint32_t m : result.lost_map_tasks()) {
    // Only the output this attempt was sent can be lost: one redone since (its worker was
    // declared dead meanwhile, say) is another, and fine.
    if (m < job.maps.size() && job.maps[m].winner >= 0 && job.maps[m].Winner().end_unix > attempt.start_unix) {
      continue;
    }
    MarkMapOutputLost(job, m, result.error());
  }
  job.ReleaseIfNoneRunning(task);
}

// An earlier attempt of `task` that failed with the same user-code error as `result`, if any:
// user code that throws the same way twice on the same input will throw on every retry.
const Attempt* SameUserErrorBefore(const Task& task, const Attempt& attempt, const rpc::TaskResult& result) {
  if (!result.user_error()) return nullptr;
  for (const Attempt& other : task.attempts) {
    if (&other == &attempt || other.state != AttemptState::kFailed || !other.result.user_error()) continue;
    if (other.result.error_fingerprint() == result.error_fingerprint()) return &other;
  }
  return nullptr;
}

std::string DeterministicFailure(const Task& task, const Attempt& first, const Attempt& second,
                                 const rpc::TaskResult& result) {
  return task.Name() + ": the user's " + result.user_function() + " function threw the same error on attempts " +
         std::to_string(first.number) + " and " + std::to_string(second.number) + " (not retried further): " +
         first.result.error();
}

// Counts attempt `attempt` of `task`, failed with `result`, against the task: retried elsewhere,
// or the job fails (too many failures, or the same user error twice).
void ChargeFailure(Job& job, Task& task, const Attempt& attempt, const rpc::TaskResult& result, double now_unix) {
  task.failures++;
  task.failed_on.insert(attempt.worker_id);
  spdlog::warn("job {}: {} attempt {} failed on {}: {}", job.id, task.Name(), attempt.number, attempt.worker_id,
               result.error());
  if (task.state == rpc::DONE) return;
  if (const Attempt* first = SameUserErrorBefore(task, attempt, result)) {
    FailJob(job, DeterministicFailure(task, *first, attempt, result), now_unix);
    return;
  }
  if (task.failures >= job.spec.max_attempts()) {
    FailJob(job, task.Name() + " failed " + std::to_string(task.failures) + " times; last error: " + result.error(),
            now_unix);
    return;
  }
  if (!task.HasRunningAttempt()) {
    task.state = rpc::IDLE;
    job.NoteIdle(task);
  }
}

void HandleFailure(Job& job, Task& task, Attempt& attempt, const rpc::TaskResult& result, double now_unix) {
  if (result.lost_map_tasks_size() > 0) {
    HandleLostInputs(job, task, attempt, result);
    return;
  }
  Task* culprit = task.kind == rpc::MAP ? SplitFailedIn(job, task, attempt, result) : nullptr;
  if (culprit != nullptr) {
    // It failed in a split it carried: that task's failure. Its own task is merely run again,
    // and its attempt shows as ended by the other's failure, not as failed.
    attempt.SetState(AttemptState::kKilled);
    attempt.error = "ended by the failure of " + culprit->Name() + ", whose split it carried";
    const Attempt& charged = RecordCarriedFailure(*culprit, task, attempt, result, now_unix);
    job.ReleaseIfNoneRunning(task);
    ChargeFailure(job, *culprit, charged, result, now_unix);
    return;
  }
  attempt.SetState(AttemptState::kFailed);
  attempt.error = result.error();
  job.ReleaseCarried(task, attempt);
  ChargeFailure(job, task, attempt, result, now_unix);
}

void HandleSuccess(Job& job, Task& task, Attempt& attempt, const rpc::TaskResult& result, double now_unix,
                   rpc::HeartbeatResponse* response) {
  if (task.kind == rpc::MAP && !CarriedAsGranted(job, task, attempt, result)) {
    // Its output would count a split twice or miss one: not the task's fault, run it again.
    spdlog::warn("job {}: {} attempt {} read other splits than it was granted; re-running it", job.id, task.Name(),
                 attempt.number);
    attempt.SetState(AttemptState::kLost);
    attempt.error = "read other splits than it was granted";
    job.ReleaseIfNoneRunning(task);
    return;
  }
  attempt.SetState(AttemptState::kSucceeded);
  spdlog::info("job {}: {} attempt {} succeeded on {} in {:.1f} s{}", job.id, task.Name(), attempt.number,
               attempt.worker_id, now_unix - attempt.start_unix, task.state == rpc::DONE ? " (another attempt won)" : "");
  if (task.state == rpc::DONE) {  // a duplicate attempt already won
    job.ReleaseCarried(task, attempt);
    return;
  }
  task.state = rpc::DONE;
  task.winner = static_cast<int>(&attempt - task.attempts.data());
  if (task.kind == rpc::MAP) {
    CompleteCarried(job, task, attempt, result, now_unix);
    if (++job.maps_done == job.maps.size() && job.phase == JobPhase::kMapping) job.SetPhase(JobPhase::kReducing);
  } else if (++job.reduces_done == job.reduces.size()) {
    job.SetPhase(JobPhase::kCommitting);
    // A map being redone for a reducer that has since finished anyway is not needed any more.
    job.StopOpenTasks("not needed: every partition is done", now_unix);
  }
  // Stop duplicates of the task still running elsewhere (a worker ignores attempts it does not run).
  for (Attempt& other : task.attempts) {
    if (other.state != AttemptState::kRunning) continue;
    other.SetState(AttemptState::kKilled);
    other.error = "another attempt finished first";
    other.end_unix = now_unix;
    job.ReleaseCarried(task, other);
    AddKill(job, task, other.number, response);
  }
}

}  // namespace

void ApplyHeartbeat(ClusterState& state, Worker& worker, const rpc::HeartbeatRequest& request, int64_t now_us,
                    double now_unix, rpc::HeartbeatResponse* response) {
  worker.last_heartbeat_us = now_us;
  worker.last_heartbeat_unix = now_unix;
  for (const rpc::TaskResult& result : request.finished()) HandleResult(state, worker, result, now_unix, response);
  for (const rpc::RunningAttempt& running : request.running()) HandleRunning(state, worker, running, now_us, response);
}

void HandleResult(ClusterState& state, Worker& worker, const rpc::TaskResult& result, double now_unix,
                  rpc::HeartbeatResponse* response) {
  FoundAttempt f = state.FindAttempt(result.job_id(), result.kind(), result.task(), result.attempt());
  if (f.attempt == nullptr || f.attempt->state != AttemptState::kRunning || f.attempt->worker_id != worker.id) return;
  state.MarkDirty(*f.job);
  f.attempt->end_unix = now_unix;
  f.attempt->result = result;
  if (f.job->finished()) {
    f.attempt->SetState(AttemptState::kKilled);
  } else if (!result.ok()) {
    HandleFailure(*f.job, *f.task, *f.attempt, result, now_unix);
  } else {
    HandleSuccess(*f.job, *f.task, *f.attempt, result, now_unix, response);
  }
}

namespace {

void LoseOutput(Job& job, Task& map, const std::string& why) {
  Attempt& winner = map.attempts[static_cast<size_t>(map.winner)];
  winner.SetState(AttemptState::kLost);
  winner.error = "output lost: " + why;
  map.carrier.reset();
  map.state = map.HasRunningAttempt() ? rpc::RUNNING : rpc::IDLE;
  job.NoteIdle(map);
  map.winner = -1;
  job.maps_done--;
  if (job.phase == JobPhase::kReducing) job.SetPhase(JobPhase::kMapping);
  spdlog::info("job {}: re-executing {} ({})", job.id, map.Name(), why);
}

}  // namespace

void MarkMapOutputLost(Job& job, uint32_t map_task, const std::string& why) {
  if (map_task >= job.maps.size()) return;
  Task& map = job.maps[map_task];
  if (map.state != rpc::DONE) return;
  if (map.carrier) {  // its output is its carrier's: that one is lost, with all it carried
    const uint32_t carrier = map.carrier->task();
    LoseOutput(job, map, why);
    MarkMapOutputLost(job, carrier, why);
    return;
  }
  const Attempt& winner = map.Winner();
  const std::vector<uint32_t> carried = winner.carries;
  const uint32_t number = winner.number;
  LoseOutput(job, map, why);
  for (uint32_t index : carried) {
    Task& other = job.maps[index];
    if (other.state == rpc::DONE && other.CarriedBy(map_task, number)) {
      LoseOutput(job, other, why);
    }
  }
}

void FailJob(Job& job, const std::string& error, double now_unix) {
  if (job.phase == JobPhase::kCommitUnderway) {
    spdlog::warn("job {}: {}; ignored, its output is being committed", job.id, error);
    return;
  }
  spdlog::error("job {} failed: {}", job.id, error);
  job.error = ToValidUtf8(error);  // status replies must stay parseable
  job.SetPhase(JobPhase::kFailing);
  job.StopOpenTasks("job failed", now_unix);
}

void AddKill(const Job& job, const Task& task, uint32_t number, rpc::HeartbeatResponse* response) {
  rpc::AttemptRef* kill = response->add_kill();
  kill->set_job_id(job.id);
  kill->set_kind(task.kind);
  kill->set_task(task.index);
  kill->set_attempt(number);
}

}  // namespace aviary::coordinator
