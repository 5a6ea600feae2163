// Builders of coordinator state for the unit tests of its parts.
#ifndef AVIARY_COORDINATOR_TEST_STATE_H_
#define AVIARY_COORDINATOR_TEST_STATE_H_

#include <memory>
#include <string>
#include <vector>

#include "coordinator/job_state.h"

namespace aviary::coordinator::test_state {

// Adds a live worker `id` with `slots` slots, next to `shard` (none when empty).
inline Worker& AddWorker(ClusterState& state, const std::string& id, const std::string& shard = "",
                         uint32_t slots = 2) {
  auto w = std::make_unique<Worker>();
  w->id = id;
  w->info.set_address(id + ":1");
  w->info.set_slots(slots);
  w->info.set_location(shard);
  Worker& ref = *w;
  state.workers[id] = std::move(w);
  return ref;
}

// Adds a job `id` in kMapping with one map task per entry of `shards` (the split's preferred
// shard; empty for none) and `reduces` reduce tasks.
inline Job& AddJob(ClusterState& state, const std::string& id, const std::vector<std::string>& shards,
                   uint32_t reduces = 1) {
  auto job = std::make_unique<Job>();
  job->id = id;
  job->spec.set_max_attempts(4);
  for (uint32_t i = 0; i < shards.size(); ++i) {
    Task t;
    t.kind = rpc::MAP;
    t.index = i;
    t.split.set_index(i);
    t.split.set_location(shards[i]);
    job->maps.push_back(std::move(t));
  }
  for (uint32_t r = 0; r < reduces; ++r) {
    Task t;
    t.kind = rpc::REDUCE;
    t.index = r;
    job->reduces.push_back(std::move(t));
  }
  job->SetPhase(job->maps.empty() ? JobPhase::kReducing : JobPhase::kMapping);
  Job& ref = *job;
  state.job_order.push_back(id);
  state.jobs[id] = std::move(job);
  return ref;
}

// Starts an attempt of `task` on `worker` at `now_us` (monotonic) and returns it.
inline Attempt& RunAttempt(Task& task, const Worker& worker, int64_t now_us = 0) {
  Attempt a;
  a.number = static_cast<uint32_t>(task.attempts.size()) + 1;
  a.worker_id = worker.id;
  a.worker_address = worker.info.address();
  a.start_us = a.last_progress_us = now_us;
  task.attempts.push_back(a);
  task.state = rpc::RUNNING;
  return task.attempts.back();
}

// Makes the last attempt of `task` its winner.
inline void Win(Job& job, Task& task) {
  task.attempts.back().SetState(AttemptState::kSucceeded);
  task.state = rpc::DONE;
  task.winner = static_cast<int>(task.attempts.size()) - 1;
  if (task.kind == rpc::MAP) {
    job.maps_done++;
  } else {
    job.reduces_done++;
  }
}

}  // namespace aviary::coordinator::test_state

#endif  // AVIARY_COORDINATOR_TEST_STATE_H_
