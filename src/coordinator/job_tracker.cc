#include "coordinator/job_tracker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

#include "common/host_port.h"
#include "coordinator/assignments.h"
#include "coordinator/carried_splits.h"
#include "coordinator/commit.h"
#include "coordinator/failure_detector.h"
#include "coordinator/housekeeping.h"
#include "coordinator/ids.h"
#include "coordinator/open_jobs.h"
#include "coordinator/persistence.h"
#include "coordinator/planner.h"
#include "coordinator/scheduler.h"
#include "coordinator/status_report.h"
#include "coordinator/worker_reports.h"
#include "rpc/job_states.h"
#include "rpc/utf8.h"

namespace aviary::coordinator {

JobTracker::JobTracker(Env* env, TrackerOptions options, MetadataStore* store, uint64_t term)
    : env_(env), options_(options), task_logs_(env, options.task_log_dir), store_(store), term_(term) {
  state_.track_changes = store_ != nullptr;
  if (store_ == nullptr && !options_.open_jobs_dir.empty()) {
    journal_ = std::make_unique<OpenJobJournal>(env_, options_.open_jobs_dir);
  }
}
JobTracker::~JobTracker() = default;

StatusOr<std::string> JobTracker::Submit(rpc::JobSpec spec) {
  std::string job_id;
  uint32_t live_slots = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_id = NewJobId(*env_, state_);
    live_slots = state_.LiveSlots();
  }
  live_slots = std::max(live_slots, options_.expected_slots);
  // Noted before planning sets up the output, so that nothing it writes can be orphaned.
  if (journal_) RETURN_IF_ERROR(journal_->Note(job_id, spec));
  StatusOr<std::unique_ptr<Job>> planned = PlanJob(std::move(spec), job_id, live_slots, options_, env_);
  if (journal_ && planned.ok()) {
    if (Status s = journal_->Note(job_id, (*planned)->spec); !s.ok()) {
      (void)(*planned)->output->AbortJob(job_id);
      planned = s;
    }
  }
  if (!planned.ok()) {
    if (journal_) journal_->Forget(job_id);
    return planned.status();
  }
  std::unique_ptr<Job> job = std::move(planned).value();
  job->submit_unix = NowUnix();
  {
    std::lock_guard<std::mutex> lock(mu_);
    spdlog::info("job {} submitted: {} with {} map and {} reduce tasks", job_id, job->spec.plugin(), job->maps.size(),
                 job->reduces.size());
    state_.job_order.push_back(job_id);
    state_.MarkDirty(*job);
    state_.jobs[job_id] = std::move(job);
    NoteNewWorkLocked();
  }
  RETURN_IF_ERROR(Flush().WithContext("recording job " + job_id));
  return job_id;
}

rpc::RegisterWorkerResponse JobTracker::RegisterWorker(const rpc::RegisterWorkerRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  auto worker = std::make_unique<Worker>();
  worker->id = NewWorkerId(state_);
  worker->info = request;
  worker->last_heartbeat_us = env_->NowMicros();
  worker->last_heartbeat_unix = NowUnix();
  spdlog::info("worker {} registered at {} with {} slots{}", worker->id, request.address(), request.slots(),
               request.location().empty() ? "" : " next to " + request.location());
  rpc::RegisterWorkerResponse response;
  response.set_worker_id(worker->id);
  response.set_heartbeat_ms(options_.heartbeat_ms);
  response.set_term(term_);
  state_.MarkDirty(*worker);
  state_.workers[worker->id] = std::move(worker);
  return response;
}

rpc::HeartbeatResponse JobTracker::Heartbeat(const rpc::HeartbeatRequest& request) {
  const bool has_logs = std::any_of(request.finished().begin(), request.finished().end(),
                                    [](const rpc::TaskResult& r) { return !r.output_log().empty(); });
  rpc::HeartbeatResponse response = has_logs ? HeartbeatLocked(FileTaskLogs(request)) : HeartbeatLocked(request);
  // Assignments must be on record before the worker starts them: a successor must never hand
  // out the same attempt number again.
  Status s = Flush();
  if (!s.ok()) {
    spdlog::warn("saving coordinator state: {}", s.ToString());
    if (response.assignments_size() > 0 || response.grants_size() > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      RevokeAssignments(state_, &response, s.message(), NowUnix());
    }
  }
  return response;
}

rpc::HeartbeatRequest JobTracker::FileTaskLogs(const rpc::HeartbeatRequest& request) {
  std::vector<const rpc::TaskResult*> accepted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const rpc::TaskResult& r : request.finished()) {
      Job* job = r.output_log().empty() ? nullptr : state_.FindJob(r.job_id());
      Task* task = job != nullptr ? job->FindTask(r.kind(), r.task()) : nullptr;
      const Attempt* attempt = task != nullptr ? task->FindAttempt(r.attempt()) : nullptr;
      // Only the worker that ran an attempt files its log.
      if (attempt != nullptr && attempt->worker_id == request.worker_id()) accepted.push_back(&r);
    }
  }
  for (const rpc::TaskResult* r : accepted) {
    if (Status s = task_logs_.Write(r->job_id(), r->kind(), r->task(), r->attempt(), r->output_log()); !s.ok()) {
      spdlog::warn("keeping the log of job {} task {} attempt {}: {}", r->job_id(), r->task(), r->attempt(), s.ToString());
    }
  }
  rpc::HeartbeatRequest stripped = request;
  for (rpc::TaskResult& r : *stripped.mutable_finished()) r.clear_output_log();
  return stripped;
}

rpc::HeartbeatResponse JobTracker::HeartbeatLocked(const rpc::HeartbeatRequest& request) {
  rpc::HeartbeatResponse response;
  response.set_term(term_);
  std::unique_lock<std::mutex> lock(mu_);
  auto it = state_.workers.find(request.worker_id());
  if (it == state_.workers.end() || !it->second->alive) {
    // Unknown or declared dead: its work was already given to others, so it must start afresh.
    response.set_reregister(true);
    return response;
  }
  Worker& worker = *it->second;
  ApplyHeartbeat(state_, worker, request, env_->NowMicros(), NowUnix(), &response);
  GrantSplits(state_, worker, request, options_.max_carried_bytes, NowUnix(), &response);
  // A finished attempt may have made tasks ready (a job's last map: its reduces), for this
  // worker or for one held below.
  if (request.finished_size() > 0) NoteNewWorkLocked();
  AssignLocked(worker, request.free_slots(), &response);
  // Not held after a reduce's end: that may have ended its job, and the server wakes the
  // commit only once this call returns (CoordinatorServer's Heartbeat).
  const bool reduce_ended = std::any_of(request.finished().begin(), request.finished().end(),
                                        [](const rpc::TaskResult& r) { return r.kind() == rpc::REDUCE; });
  if (response.assignments_size() == 0 && response.kill_size() == 0 && request.running_size() == 0 &&
      request.free_slots() > 0 && request.hold_ms() > 0 && !reduce_ended) {
    HoldForWork(lock, request, &response);
  }
  for (const auto& [id, job] : state_.jobs) {
    if (job->finished() && worker.cleaned_jobs.insert(id).second) response.add_finished_jobs(id);
  }
  return response;
}

void JobTracker::AssignLocked(Worker& worker, uint32_t free_slots, rpc::HeartbeatResponse* response) {
  const int64_t now_us = env_->NowMicros();
  const double now_unix = NowUnix();
  AssignTasks(state_, worker, free_slots, [&](Job& job, Task& task) {
    rpc::TaskSpec spec = StartAttempt(job, task, worker, now_us, now_unix);
    if (task.kind == rpc::MAP) {
      spec.set_claim_splits(options_.max_carried_bytes > 0 && !task.split.passthrough());
      spec.set_uncompressed_map_output(!CompressMapOutputLocked());
    }
    state_.MarkDirty(job);
    // A spec the worker could not parse would fail this heartbeat and every later one: the job
    // fails (ending the attempt just started) instead of waiting forever.
    if (Status s = rpc::CheckUtf8(spec); !s.ok()) {
      FailJob(job, "cannot send " + task.Name() + " to a worker: " + s.message(), now_unix);
      return;
    }
    *response->add_assignments() = std::move(spec);
  });
}

bool JobTracker::CompressMapOutputLocked() {
  if (options_.shuffle_compression != ShuffleCompression::kAuto) {
    return options_.shuffle_compression == ShuffleCompression::kLz4;
  }
  // Looked at again only when the workers changed (one registered: next_worker moves; one
  // dropped or restored: the count changes), not per assignment: a thousand workers must not
  // cost a scan per task.
  const std::pair<size_t, uint64_t> workers_now{state_.workers.size(), state_.next_worker};
  if (workers_now != workers_checked_) {
    workers_checked_ = workers_now;
    workers_on_one_host_ = true;
    std::optional<std::string> first_host;
    for (const auto& [id, worker] : state_.workers) {
      const std::string host = HostOf(worker->info.address());
      if (!first_host) first_host = host;
      if (host != *first_host) workers_on_one_host_ = false;
    }
  }
  return !workers_on_one_host_;
}

// The worker has nothing to run and nothing to report: rather than answer "nothing" and have
// it ask again a beat later, wait for work to appear (NoteNewWorkLocked) and answer with it.
// Bounded by the heartbeat interval, so the worker beats as often as ever and stays alive.
void JobTracker::HoldForWork(std::unique_lock<std::mutex>& lock, const rpc::HeartbeatRequest& request,
                             rpc::HeartbeatResponse* response) {
  // Each held call keeps a server thread: past this many, idle workers just poll as before.
  constexpr uint32_t kMaxHeld = 64;
  if (held_ >= kMaxHeld) return;
  const uint32_t hold_ms = std::min(request.hold_ms(), options_.heartbeat_ms);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(hold_ms);
  ++held_;
  uint64_t seen = work_epoch_;
  while (response->assignments_size() == 0) {
    const bool woken = work_cv_.wait_until(lock, deadline, [&] { return work_epoch_ != seen || release_held_; });
    if (!woken || release_held_) break;
    seen = work_epoch_;
    auto it = state_.workers.find(request.worker_id());
    if (it == state_.workers.end() || !it->second->alive) break;
    AssignLocked(*it->second, request.free_slots(), response);
  }
  --held_;
}

void JobTracker::NoteNewWorkLocked() {
  ++work_epoch_;
  work_cv_.notify_all();
}

void JobTracker::ReleaseHeldHeartbeats() {
  std::lock_guard<std::mutex> lock(mu_);
  release_held_ = true;
  work_cv_.notify_all();
  ended_cv_.notify_all();
}

Status JobTracker::Cancel(const std::string& job_id) {
  RETURN_IF_ERROR(CancelLocked(job_id));
  return Flush();
}

Status JobTracker::CancelLocked(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Job* job = state_.FindJob(job_id);
  if (job == nullptr) return NotFound("no job " + job_id);
  if (job->finished()) return FailedPrecondition("job " + job_id + " has already ended");
  if (job->phase == JobPhase::kCommitUnderway) {
    return FailedPrecondition("job " + job_id + " is committing its output");
  }
  job->SetPhase(JobPhase::kCancelling);
  job->error = "cancelled by user";
  job->StopOpenTasks("job cancelled", NowUnix());
  state_.MarkDirty(*job);
  return Status::OK();
}

void JobTracker::Tick() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now_us = env_->NowMicros();
    const double now_unix = NowUnix();
    CheckSilentWorkers(state_, options_, now_us, now_unix);
    CheckSilentAttempts(state_, options_, now_us, now_unix);
  }
  FinishJobs();
  Status s = Flush();
  if (!s.ok()) spdlog::warn("saving coordinator state: {}", s.ToString());
}

std::set<std::string> JobTracker::Housekeep() {
  Dropped dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dropped = DropExpired(state_, options_, env_->NowMicros(), NowUnix());
  }
  for (const std::string& dir : dropped.inline_spools) {
    if (Status s = env_->DeleteRecursively(dir); !s.ok()) spdlog::warn("removing inline spool {}: {}", dir, s.ToString());
  }
  for (const std::string& id : dropped.jobs) task_logs_.Remove(id);
  if (store_ != nullptr && !fenced_) {
    // After any Flush under way, which may still carry a dropped job's last version.
    std::lock_guard<std::mutex> flush_lock(flush_mu_);
    for (const std::string& id : dropped.jobs) {
      if (Status s = store_->DeleteJob(id); !s.ok()) spdlog::warn("forgetting job {} in the store: {}", id, s.ToString());
    }
    for (const std::string& id : dropped.workers) {
      if (Status s = store_->DeleteWorker(id); !s.ok()) spdlog::warn("forgetting worker {} in the store: {}", id, s.ToString());
    }
  }
  return dropped.unused_plugins;
}

void JobTracker::FinishJobs() {
  std::vector<LayoutCheck> checks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    checks = TakeLayoutChecks(state_);
  }
  for (const LayoutCheck& check : checks) {
    if (fenced_) return;
    Status same = CheckInputLayout(check.spec, env_);  // reads the input's metadata: no lock
    std::lock_guard<std::mutex> lock(mu_);
    ApplyLayoutCheck(state_, check, same, NowUnix());
  }
  std::vector<FinishWork> work;
  {
    std::lock_guard<std::mutex> lock(mu_);
    work = TakeFinishWork(state_);
  }
  // Record "commit under way" (with the winners) before touching the output, so that a
  // coordinator taking over redoes an interrupted commit instead of losing it. Without that
  // record, or once fenced (another coordinator may own these jobs now), leave the output
  // alone; try again later.
  if (work.empty()) return;
  if (Status s = Flush(); !s.ok() || fenced_) {
    std::lock_guard<std::mutex> lock(mu_);
    UndoFinishWork(state_, work);
    if (!fenced_) spdlog::warn("not finishing jobs yet: their state could not be recorded: {}", s.ToString());
    return;
  }
  // Only this thread touches these jobs' outputs.
  for (const FinishWork& w : work) {
    if (fenced_) return;  // the rest are redone by whoever owns them now
    Status s = RunFinishWork(w);
    std::lock_guard<std::mutex> lock(mu_);
    ApplyFinishResult(state_, w, s, NowUnix());
    if (journal_) journal_->Forget(w.job->id);  // ended: its output is committed or removed
    ended_cv_.notify_all();
  }
}

StatusOr<rpc::JobStatus> JobTracker::GetJob(const std::string& job_id, bool with_tasks, uint32_t hold_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  const Job* job = state_.FindJob(job_id);
  if (job == nullptr) return NotFound("no job " + job_id + " on this coordinator");
  // Each held call keeps a server thread: past this many, clients just poll as before.
  constexpr uint32_t kMaxHeldReads = 16;
  if (hold_ms > 0 && held_reads_ < kMaxHeldReads && !release_held_) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::min(hold_ms, options_.heartbeat_ms));
    ++held_reads_;
    // The job is looked up again after each wake: housekeeping may have dropped it.
    ended_cv_.wait_until(lock, deadline, [&] {
      job = state_.FindJob(job_id);
      return job == nullptr || rpc::IsEnded(PublicState(job->phase)) || release_held_;
    });
    --held_reads_;
    if (job == nullptr) return NotFound("no job " + job_id + " on this coordinator");
  }
  rpc::JobStatus status;
  FillStatus(*job, with_tasks, &status);
  return status;
}

std::vector<rpc::JobStatus> JobTracker::ListJobs() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<rpc::JobStatus> out;
  for (const std::string& id : state_.job_order) {
    out.emplace_back();
    FillStatus(*state_.jobs[id], false, &out.back());
  }
  return out;
}

StatusOr<std::vector<rpc::TaskLog>> JobTracker::ReadTaskLogs(const std::string& job_id, const TaskLogFilter& filter) {
  std::map<std::tuple<int, uint32_t, uint32_t>, std::string> workers;  // (kind, task, attempt) -> address
  {
    std::lock_guard<std::mutex> lock(mu_);
    Job* job = state_.FindJob(job_id);
    if (job == nullptr) return NotFound("no job " + job_id + " on this coordinator");
    for (rpc::TaskKind kind : {rpc::MAP, rpc::REDUCE}) {
      for (const Task& task : job->tasks(kind)) {
        for (const Attempt& a : task.attempts) workers[{kind, task.index, a.number}] = a.worker_address;
      }
    }
  }
  ASSIGN_OR_RETURN(std::vector<rpc::TaskLog> logs, task_logs_.Read(job_id, filter));
  for (rpc::TaskLog& log : logs) {
    if (auto it = workers.find({log.kind(), log.task(), log.attempt()}); it != workers.end()) log.set_worker(it->second);
  }
  return logs;
}

StatusOr<std::vector<std::string>> JobTracker::ClaimInlineOutput(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Job* job = state_.FindJob(job_id);
  if (job == nullptr) return NotFound("no job " + job_id + " on this coordinator");
  if (!job->spec.inline_output()) return FailedPrecondition("job " + job_id + " did not write --output inline");
  if (job->phase != JobPhase::kSucceeded) return FailedPrecondition("job " + job_id + " has not succeeded");
  if (!job->output) return FailedPrecondition("job " + job_id + " has no output open on this coordinator");
  if (job->inline_read == Job::InlineRead::kRead) {
    return FailedPrecondition("the inline result of job " + job_id +
                              " was read already and removed (an inline result is handed out once)");
  }
  if (job->inline_read == Job::InlineRead::kReading) {
    return FailedPrecondition("the inline result of job " + job_id + " is being read by another client");
  }
  job->inline_read = Job::InlineRead::kReading;
  return job->output->LocalResultFiles(static_cast<uint32_t>(job->reduces.size()));
}

void JobTracker::ReleaseInlineOutput(const std::string& job_id, bool delivered) {
  std::string spool;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Job* job = state_.FindJob(job_id);
    if (job == nullptr || job->inline_read != Job::InlineRead::kReading) return;
    job->inline_read = delivered ? Job::InlineRead::kRead : Job::InlineRead::kUnread;
    if (delivered) spool = job->InlineSpoolDir();
  }
  if (spool.empty()) return;
  if (Status s = env_->DeleteRecursively(spool); !s.ok()) spdlog::warn("removing inline spool {}: {}", spool, s.ToString());
}

rpc::ClusterStatusResponse JobTracker::ClusterStatus() {
  std::lock_guard<std::mutex> lock(mu_);
  rpc::ClusterStatusResponse response;
  response.set_active(true);
  response.set_term(term_);  // the lease term this coordinator acts under (as its log says)
  for (const auto& [id, w] : state_.workers) FillWorkerInfo(*w, response.add_workers());
  return response;
}

Status JobTracker::Flush() {
  if (store_ == nullptr) return Status::OK();
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  if (fenced_) return Aborted("the coordinator of term " + std::to_string(term_) + " stepped down");
  std::vector<rpc::JobRecord> jobs;
  std::vector<rpc::WorkerRecord> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& id : state_.dirty_jobs) {
      jobs.push_back(ToRecord(*state_.jobs[id]));
      jobs.back().set_term(term_);
    }
    for (const std::string& id : state_.dirty_workers) workers.push_back(ToRecord(*state_.workers[id]));
    state_.dirty_jobs.clear();
    state_.dirty_workers.clear();
  }
  Status first = SaveRecords(jobs, workers);
  if (!first.ok()) {
    // Try again next time: put everything back on the dirty lists.
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& job : jobs) state_.dirty_jobs.insert(job.job_id());
    for (const auto& worker : workers) state_.dirty_workers.insert(worker.worker_id());
  }
  return first;
}

Status JobTracker::SaveRecords(const std::vector<rpc::JobRecord>& jobs, const std::vector<rpc::WorkerRecord>& workers) {
  Status first;
  for (const auto& job : jobs) {
    if (fenced_) return Aborted("the coordinator of term " + std::to_string(term_) + " stepped down");
    Status s = store_->SaveJob(job);
    if (!s.ok() && first.ok()) first = s;
  }
  for (const auto& worker : workers) {
    Status s = store_->SaveWorker(worker);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status JobTracker::Restore() {
  if (store_ == nullptr) return Status::OK();
  ASSIGN_OR_RETURN(std::vector<rpc::JobRecord> jobs, store_->LoadJobs());
  ASSIGN_OR_RETURN(std::vector<rpc::WorkerRecord> workers, store_->LoadWorkers());
  std::sort(jobs.begin(), jobs.end(),
            [](const rpc::JobRecord& a, const rpc::JobRecord& b) { return a.submit_unix() < b.submit_unix(); });
  const int64_t now_us = env_->NowMicros();
  std::vector<std::unique_ptr<Job>> restored;
  for (const rpc::JobRecord& record : jobs) {
    StatusOr<std::unique_ptr<Job>> job = FromRecord(record, now_us);
    if (!job.ok()) return job.status().WithContext("restoring job " + record.job_id());
    StatusOr<std::unique_ptr<OutputFormat>> output = OutputFormat::ForJob((*job)->spec, env_);
    if (!output.ok()) return output.status().WithContext("restoring job " + record.job_id());
    (*job)->output = std::move(output).value();
    restored.push_back(std::move(job).value());
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const rpc::WorkerRecord& record : workers) {
    std::unique_ptr<Worker> w = FromRecord(record, now_us, NowUnix());
    state_.workers[w->id] = std::move(w);
  }
  for (auto& job : restored) {
    state_.job_order.push_back(job->id);
    state_.jobs[job->id] = std::move(job);
  }
  spdlog::info("restored {} jobs and {} workers from the metadata store", jobs.size(), workers.size());
  return Status::OK();
}

}  // namespace aviary::coordinator
