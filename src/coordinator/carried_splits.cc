#include "coordinator/carried_splits.h"

#include <spdlog/spdlog.h>

#include "coordinator/scheduler.h"

namespace aviary::coordinator {
namespace {

// The running map attempt `ref` of `worker` in a job not yet ended, or all null.
FoundAttempt FindHost(ClusterState& state, const Worker& worker, const rpc::AttemptRef& ref) {
  if (ref.kind() != rpc::MAP) return {};
  FoundAttempt f = state.FindAttempt(ref.job_id(), rpc::MAP, ref.task(), ref.attempt());
  if (f.attempt == nullptr || f.job->finished() || f.attempt->state != AttemptState::kRunning ||
      f.attempt->worker_id != worker.id) {
    return {};
  }
  return f;
}

uint64_t BytesRead(const Job& job, const Task& host, const Attempt& a) {
  uint64_t bytes = host.split.estimated_bytes();
  for (uint32_t index : a.carries) bytes += job.maps[index].split.estimated_bytes();
  return bytes;
}

void Grant(const Task& task, rpc::SplitGrant* grant) {
  grant->set_granted(true);
  grant->set_task(task.index);
  *grant->mutable_split() = task.split;
}

// The answer to claim `seq` of the host's attempt; a new grant is recorded.
void Answer(ClusterState& state, const Worker& worker, const LiveWorkers& live, FoundAttempt host, uint32_t seq,
            uint64_t max_bytes, double now_unix, rpc::SplitGrant* grant) {
  std::vector<uint32_t>& carries = host.attempt->carries;
  if (seq == 0 || seq > carries.size() + 1) return;  // not a claim this attempt can make
  if (seq <= carries.size()) {  // asked again: the answer was lost on the way
    Grant(host.job->maps[carries[seq - 1]], grant);
    return;
  }
  if (max_bytes == 0 || BytesRead(*host.job, *host.task, *host.attempt) >= max_bytes) return;
  Task* task = PickSplitToCarry(*host.job, *host.task, worker, live);
  if (task == nullptr) return;
  task->state = rpc::RUNNING;
  rpc::Carrier& carrier = task->carrier.emplace();
  carrier.set_task(host.task->index);
  carrier.set_attempt(host.attempt->number);
  carrier.set_seq(seq);
  carrier.set_granted_unix(now_unix);
  carries.push_back(task->index);
  state.MarkDirty(*host.job);
  // As for an attempt started: the daemon log tells each task's story.
  spdlog::info("job {}: {} -> carried by {} attempt {} on worker {}", host.job->id, task->Name(), host.task->Name(),
               host.attempt->number, worker.id);
  Grant(*task, grant);
}

}  // namespace

void GrantSplits(ClusterState& state, const Worker& worker, const rpc::HeartbeatRequest& request, uint64_t max_bytes,
                 double now_unix, rpc::HeartbeatResponse* response) {
  if (request.claims_size() == 0) return;
  const LiveWorkers live(state.workers);
  for (const rpc::SplitClaim& claim : request.claims()) {
    rpc::SplitGrant* grant = response->add_grants();
    *grant->mutable_attempt() = claim.attempt();
    grant->set_seq(claim.seq());
    FoundAttempt host = FindHost(state, worker, claim.attempt());
    if (host.attempt != nullptr) Answer(state, worker, live, host, claim.seq(), max_bytes, now_unix, grant);
  }
}

void RevokeGrants(ClusterState& state, rpc::HeartbeatResponse* response) {
  // Newest first, so each undone grant is its attempt's last.
  for (int i = response->grants_size() - 1; i >= 0; --i) {
    const rpc::SplitGrant& grant = response->grants(i);
    if (!grant.granted()) continue;
    auto [job, host, a] = state.FindAttempt(grant.attempt().job_id(), rpc::MAP, grant.attempt().task(),
                                            grant.attempt().attempt());
    if (a == nullptr || a->carries.size() != grant.seq() || a->carries.back() != grant.task()) continue;
    Task& carried = job->maps[grant.task()];
    a->carries.pop_back();
    carried.carrier.reset();
    job->ReleaseIfNoneRunning(carried);
    state.MarkDirty(*job);
  }
  response->clear_grants();
}

bool CarriedAsGranted(const Job& job, const Task& host, const Attempt& a, const rpc::TaskResult& result) {
  if (static_cast<size_t>(result.carried_size()) != a.carries.size()) return false;
  for (size_t i = 0; i < a.carries.size(); ++i) {
    const Task& carried = job.maps[a.carries[i]];
    if (result.carried(static_cast<int>(i)).task() != carried.index || !carried.Carried() ||
        !carried.CarriedBy(host.index, a.number)) {
      return false;
    }
  }
  return true;
}

Task* SplitFailedIn(Job& job, const Task& host, const Attempt& a, const rpc::TaskResult& result) {
  if (result.carried_size() == 0 || !result.carried(result.carried_size() - 1).failed()) return nullptr;
  Task* task = job.FindTask(rpc::MAP, result.carried(result.carried_size() - 1).task());
  return task != nullptr && task->Carried() && task->CarriedBy(host.index, a.number) ? task : nullptr;
}

namespace {

// An attempt of `task` made for what `host`'s attempt `a` did with its split.
Attempt CarriedAttempt(const Task& task, const Task& host, const Attempt& a, double now_unix) {
  Attempt made;
  made.number = static_cast<uint32_t>(task.attempts.size()) + 1;
  made.worker_id = a.worker_id;
  made.worker_address = a.worker_address;
  made.start_unix = task.carrier->granted_unix();
  made.end_unix = now_unix;
  made.carried = true;
  made.carried_by_task = host.index;
  made.carried_by_attempt = a.number;
  return made;
}

}  // namespace

Attempt& RecordCarriedFailure(Task& task, const Task& host, const Attempt& a, const rpc::TaskResult& result,
                              double now_unix) {
  Attempt failed = CarriedAttempt(task, host, a, now_unix);
  failed.SetState(AttemptState::kFailed);
  failed.error = result.error();
  failed.result = result;
  failed.result.clear_carried();
  failed.result.set_task(task.index);
  failed.result.set_attempt(failed.number);
  task.carrier.reset();
  task.attempts.push_back(std::move(failed));
  return task.attempts.back();
}

void CompleteCarried(Job& job, const Task& host, const Attempt& a, const rpc::TaskResult& result, double now_unix) {
  for (int i = 0; i < result.carried_size(); ++i) {
    const rpc::CarriedSplit& read = result.carried(i);
    Task& task = job.maps[read.task()];
    Attempt won = CarriedAttempt(task, host, a, now_unix);
    won.SetState(AttemptState::kSucceeded);
    // What was read of this split; the attempt-wide counters stay with the carrier's result.
    rpc::TaskResult& r = won.result;
    r.set_job_id(job.id);
    r.set_kind(rpc::MAP);
    r.set_task(task.index);
    r.set_attempt(won.number);
    r.set_ok(true);
    r.set_output_path(result.output_path());
    r.set_records_in(read.records_in());
    r.set_bytes_in(read.bytes_in());
    r.set_orphans_skipped(read.orphans_skipped());
    r.set_read_locally(read.read_locally());
    task.attempts.push_back(std::move(won));
    task.winner = static_cast<int>(task.attempts.size()) - 1;
    task.state = rpc::DONE;
    job.maps_done++;
  }
  if (result.carried_size() > 0) {
    spdlog::info("job {}: {} attempt {} also read the splits of {} other map tasks", job.id, host.Name(), a.number,
                 result.carried_size());
  }
}

}  // namespace aviary::coordinator
