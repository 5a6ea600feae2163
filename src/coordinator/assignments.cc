#include "coordinator/assignments.h"

#include <spdlog/spdlog.h>

namespace aviary::coordinator {
namespace {

void AddMapOutputs(const Job& job, rpc::TaskSpec* spec) {
  for (const Task& map : job.maps) {
    const Attempt& winner = map.Winner();
    rpc::MapOutputLocation* loc = spec->add_map_outputs();
    loc->set_map_task(map.index);
    loc->set_attempt(winner.number);
    loc->set_worker_id(winner.worker_id);
    loc->set_worker_address(winner.worker_address);
  }
}

}  // namespace

rpc::TaskSpec StartAttempt(Job& job, Task& task, const Worker& worker, int64_t now_us, double now_unix) {
  Attempt attempt;
  attempt.number = static_cast<uint32_t>(task.attempts.size()) + 1;
  attempt.worker_id = worker.id;
  attempt.worker_address = worker.info.address();
  attempt.start_us = attempt.last_progress_us = now_us;
  attempt.start_unix = now_unix;
  task.attempts.push_back(attempt);
  task.state = rpc::RUNNING;

  rpc::TaskSpec spec;
  spec.set_job_id(job.id);
  spec.set_kind(task.kind);
  spec.set_task(task.index);
  spec.set_attempt(attempt.number);
  *spec.mutable_job() = job.spec;
  spec.set_num_partitions(static_cast<uint32_t>(job.reduces.size()));
  if (task.kind == rpc::MAP) {
    *spec.mutable_split() = task.split;
  } else {
    AddMapOutputs(job, &spec);
  }
  // One line per attempt started (a retry says so): the daemon log tells a task's story.
  spdlog::info("job {}: {} attempt {}{} -> worker {} at {}", job.id, task.Name(), attempt.number,
               attempt.number > 1 ? " (retry)" : "", worker.id, worker.info.address());
  return spec;
}

void RevokeAssignments(ClusterState& state, rpc::HeartbeatResponse* response, const std::string& why,
                       double now_unix) {
  for (const rpc::TaskSpec& spec : response->assignments()) {
    Job* job = state.FindJob(spec.job_id());
    Task* task = job ? job->FindTask(spec.kind(), spec.task()) : nullptr;
    Attempt* attempt = task ? task->FindAttempt(spec.attempt()) : nullptr;
    if (attempt == nullptr || attempt->state != AttemptState::kRunning) continue;
    attempt->SetState(AttemptState::kLost);
    attempt->error = "not started: the assignment could not be recorded: " + why;
    attempt->end_unix = now_unix;
    job->ReleaseIfNoneRunning(*task);
    state.MarkDirty(*job);
  }
  response->clear_assignments();
}

}  // namespace aviary::coordinator
