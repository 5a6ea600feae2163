#include "coordinator/assignments.h"

#include "coordinator/carried_splits.h"

#include <spdlog/spdlog.h>

#include <string>
#include <unordered_map>

namespace aviary::coordinator {
namespace {

bool IndexIsCurrent(const Job& job) {
  const std::vector<int>& winners = job.map_output_index.winners;
  if (winners.size() != job.maps.size()) return false;
  for (size_t i = 0; i < winners.size(); ++i) {
    if (winners[i] != job.maps[i].winner) return false;
  }
  return true;
}

void BuildIndex(Job& job) {
  Job::MapOutputIndex& index = job.map_output_index;
  index.winners.clear();
  index.hosts.Clear();
  // By worker and address: a worker that came back at another address has outputs at both.
  std::unordered_map<std::string, rpc::MapOutputHost*> by_host;
  std::string key;
  for (const Task& map : job.maps) {
    index.winners.push_back(map.winner);
    if (map.carrier) continue;  // its split is in its carrier's output, fetched once
    const Attempt& winner = map.Winner();
    key.assign(winner.worker_id).append(1, '\0').append(winner.worker_address);
    rpc::MapOutputHost*& host = by_host[key];
    if (host == nullptr) {
      host = index.hosts.Add();
      host->set_worker_id(winner.worker_id);
      host->set_worker_address(winner.worker_address);
    }
    host->add_map_tasks(map.index);
    host->add_attempts(winner.number);
  }
}

// Every reduce gets the same list: built once per set of map winners (a reduce of 100,000
// maps would otherwise cost a pass over them and a message per map), then copied.
void AddMapOutputs(Job& job, rpc::TaskSpec* spec) {
  if (!IndexIsCurrent(job)) BuildIndex(job);
  *spec->mutable_map_output_hosts() = job.map_output_index.hosts;
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
    auto [job, task, attempt] = state.FindAttempt(spec.job_id(), spec.kind(), spec.task(), spec.attempt());
    if (attempt == nullptr || attempt->state != AttemptState::kRunning) continue;
    attempt->SetState(AttemptState::kLost);
    attempt->error = "not started: the assignment could not be recorded: " + why;
    attempt->end_unix = now_unix;
    job->ReleaseIfNoneRunning(*task);
    state.MarkDirty(*job);
  }
  response->clear_assignments();
  RevokeGrants(state, response);
}

}  // namespace aviary::coordinator
