#include "coordinator/failure_detector.h"

#include <spdlog/spdlog.h>

#include "coordinator/worker_reports.h"

namespace aviary::coordinator {
namespace {

void LoseAttemptsOf(Job& job, const Worker& worker, const std::string& why, double now_unix) {
  for (auto* tasks : {&job.maps, &job.reduces}) {
    for (Task& task : *tasks) {
      for (Attempt& a : task.attempts) {
        if (a.worker_id != worker.id || a.state != AttemptState::kRunning) continue;
        a.SetState(AttemptState::kLost);
        a.error = "worker lost: " + why;
        a.end_unix = now_unix;
      }
      job.ReleaseIfNoneRunning(task);
    }
  }
}

void LoseMapOutputsOf(Job& job, const Worker& worker) {
  // Map outputs live on the worker's disk: re-run them unless every reduce is already done.
  if (job.reduces_done == job.reduces.size()) return;
  for (Task& map : job.maps) {
    if (map.state == rpc::DONE && map.Winner().worker_id == worker.id) {
      MarkMapOutputLost(job, map.index, "worker " + worker.id + " is gone");
    }
  }
}

}  // namespace

void CheckSilentWorkers(ClusterState& state, const TrackerOptions& options, int64_t now_us, double now_unix) {
  for (auto& [id, worker] : state.workers) {
    if (worker->alive && now_us - worker->last_heartbeat_us > options.worker_timeout_us) {
      worker->dead_since_us = now_us;
      DeclareWorkerDead(state, *worker, "no heartbeat for " + std::to_string(options.worker_timeout_us / 1000) + " ms",
                        now_unix);
    }
  }
}

void DeclareWorkerDead(ClusterState& state, Worker& worker, const std::string& why, double now_unix) {
  spdlog::warn("worker {} at {} is dead: {}", worker.id, worker.info.address(), why);
  worker.alive = false;
  state.MarkDirty(worker);
  for (auto& [id, job] : state.jobs) {
    if (job->finished()) continue;
    state.MarkDirty(*job);
    LoseAttemptsOf(*job, worker, why, now_unix);
    LoseMapOutputsOf(*job, worker);
  }
}

void CheckSilentAttempts(ClusterState& state, const TrackerOptions& options, int64_t now_us, double now_unix) {
  for (auto& [id, job] : state.jobs) {
    if (job->finished()) continue;
    for (auto* tasks : {&job->maps, &job->reduces}) {
      for (Task& task : *tasks) {
        for (Attempt& a : task.attempts) {
          if (a.state != AttemptState::kRunning || now_us - a.last_progress_us < options.attempt_timeout_us) continue;
          state.MarkDirty(*job);
          a.SetState(AttemptState::kLost);
          a.error = "no progress for " + std::to_string(options.attempt_timeout_us / 1000000) + " s; re-issued";
          a.end_unix = now_unix;
          spdlog::warn("job {}: {} attempt {} on {} is silent; re-issuing", id, task.Name(), a.number, a.worker_id);
          job->ReleaseIfNoneRunning(task);
        }
      }
    }
  }
}

}  // namespace aviary::coordinator
