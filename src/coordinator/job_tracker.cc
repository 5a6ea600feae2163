#include "coordinator/job_tracker.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "storage/input.h"
#include "storage/registry.h"

namespace aviary::coordinator {

enum class AttemptState { kRunning, kSucceeded, kFailed, kKilled, kLost };

static const char* AttemptStateName(AttemptState s) {
  switch (s) {
    case AttemptState::kRunning: return "running";
    case AttemptState::kSucceeded: return "succeeded";
    case AttemptState::kFailed: return "failed";
    case AttemptState::kKilled: return "killed";
    case AttemptState::kLost: return "lost";
  }
  return "unknown";
}

struct JobTracker::Attempt {
  uint32_t number = 0;
  std::string worker_id;
  std::string worker_address;
  AttemptState state = AttemptState::kRunning;
  int64_t start_us = 0;
  int64_t last_progress_us = 0;
  uint64_t progress = 0;
  double start_unix = 0;
  double end_unix = 0;
  std::string error;
  rpc::TaskResult result;
};

struct JobTracker::Task {
  rpc::TaskKind kind = rpc::MAP;
  uint32_t index = 0;
  rpc::TaskState state = rpc::IDLE;
  std::vector<Attempt> attempts;
  uint32_t failures = 0;
  int winner = -1;  // index into attempts of the attempt whose output counts
  std::set<std::string> failed_on;
  rpc::InputSplit split;  // map tasks only

  Attempt* FindAttempt(uint32_t number) {
    for (Attempt& a : attempts) {
      if (a.number == number) return &a;
    }
    return nullptr;
  }
  bool HasRunningAttempt() const {
    return std::any_of(attempts.begin(), attempts.end(),
                       [](const Attempt& a) { return a.state == AttemptState::kRunning; });
  }
};

struct JobTracker::Job {
  std::string id;
  rpc::JobSpec spec;
  rpc::JobState state = rpc::MAPPING;
  std::string error;
  std::vector<Task> maps;
  std::vector<Task> reduces;
  std::unique_ptr<OutputFormat> output;
  double submit_unix = 0;
  double end_unix = 0;
  uint32_t maps_done = 0;
  uint32_t reduces_done = 0;
  bool abort_pending = false;            // output must be aborted by FinishJobs
  rpc::JobState final_state = rpc::FAILED;  // where ABORTING ends

  bool finished() const {
    return state == rpc::SUCCEEDED || state == rpc::FAILED || state == rpc::CANCELLED || state == rpc::ABORTING;
  }
  std::vector<Task>& tasks(rpc::TaskKind kind) { return kind == rpc::MAP ? maps : reduces; }
};

struct JobTracker::Worker {
  std::string id;
  rpc::RegisterWorkerRequest info;
  bool alive = true;
  int64_t last_heartbeat_us = 0;
  double last_heartbeat_unix = 0;
  std::set<std::string> cleaned_jobs;  // finished jobs the worker was told to delete
};

namespace {

std::string TaskName(rpc::TaskKind kind, uint32_t index) {
  return std::string(kind == rpc::MAP ? "map" : "reduce") + " task " + std::to_string(index);
}

}  // namespace

JobTracker::JobTracker(Env* env, TrackerOptions options, MetadataStore* store, uint64_t term)
    : env_(env), options_(options), store_(store), term_(term) {}
JobTracker::~JobTracker() = default;

double JobTracker::NowUnix() const {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string JobTracker::NewJobId() {
  // Unique across coordinator restarts: wall-clock time plus randomness.
  static thread_local std::mt19937_64 rng(std::random_device{}() ^ static_cast<uint64_t>(::getpid()));
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::gmtime(&now));
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(rng() & 0xffff));
  return "job-" + std::string(stamp) + "-" + std::to_string(next_job_++) + suffix;
}

std::string JobTracker::NewWorkerId() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  // The counter starts again at 1 in a coordinator that took over: never reuse a restored id.
  std::string id;
  do {
    char suffix[8];
    std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(rng() & 0xffff));
    id = "w" + std::to_string(next_worker_++) + "-" + suffix;
  } while (workers_.count(id));
  return id;
}

StatusOr<std::string> JobTracker::Submit(rpc::JobSpec spec) {
  if (spec.plugin().empty()) return InvalidArgument("the job names no plugin");
  if (spec.max_attempts() == 0) spec.set_max_attempts(options_.max_attempts ? options_.max_attempts : kDefaultMaxAttempts);
  std::string job_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_id = NewJobId();
  }
  if (spec.output_uri() == "inline") {
    // Spool the result next to the coordinator; clients stream it back with ReadOutput.
    spec.set_inline_output(true);
    spec.set_output_uri("inline:" + options_.inline_dir + "/" + job_id);
  }
  ASSIGN_OR_RETURN(auto input, InputFormat::ForJob(spec, env_));
  ASSIGN_OR_RETURN(std::vector<rpc::InputSplit> splits, input->PlanSplits({spec.map_tasks(), TotalLiveSlots()}));
  ASSIGN_OR_RETURN(auto output, OutputFormat::ForJob(spec, env_));
  ASSIGN_OR_RETURN(std::vector<rpc::InputSplit> extra, output->ExtraInputSplits());
  for (auto& split : extra) splits.push_back(std::move(split));
  for (uint32_t i = 0; i < splits.size(); ++i) splits[i].set_index(i);

  auto job = std::make_unique<Job>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    job->id = job_id;
    if (spec.reduce_tasks() == 0) spec.set_reduce_tasks(std::max<uint32_t>(1, TotalLiveSlotsLocked()));
  }
  RETURN_IF_ERROR(output->SetupJob(job->id));

  spec.set_map_tasks(static_cast<uint32_t>(splits.size()));
  job->spec = std::move(spec);
  job->output = std::move(output);
  job->submit_unix = NowUnix();
  for (uint32_t i = 0; i < splits.size(); ++i) {
    Task t;
    t.kind = rpc::MAP;
    t.index = i;
    t.split = std::move(splits[i]);
    job->maps.push_back(std::move(t));
  }
  for (uint32_t r = 0; r < job->spec.reduce_tasks(); ++r) {
    Task t;
    t.kind = rpc::REDUCE;
    t.index = r;
    job->reduces.push_back(std::move(t));
  }
  // An empty input has nothing to map: go straight to reducing (empty partitions).
  job->state = job->maps.empty() ? rpc::REDUCING : rpc::MAPPING;

  const std::string id = job->id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    spdlog::info("job {} submitted: {} with {} map and {} reduce tasks", id, job->spec.plugin(), job->maps.size(),
                 job->reduces.size());
    job_order_.push_back(id);
    MarkDirty(*job);
    jobs_[id] = std::move(job);
  }
  RETURN_IF_ERROR(Flush().WithContext("recording job " + id));
  return id;
}

uint32_t JobTracker::TotalLiveSlotsLocked() const {
  uint32_t slots = 0;
  for (const auto& [id, w] : workers_) {
    if (w->alive) slots += w->info.slots();
  }
  return slots;
}

uint32_t JobTracker::TotalLiveSlots() const {
  std::lock_guard<std::mutex> lock(mu_);
  return TotalLiveSlotsLocked();
}

rpc::RegisterWorkerResponse JobTracker::RegisterWorker(const rpc::RegisterWorkerRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  auto worker = std::make_unique<Worker>();
  worker->id = NewWorkerId();
  worker->info = request;
  worker->last_heartbeat_us = env_->NowMicros();
  worker->last_heartbeat_unix = NowUnix();
  spdlog::info("worker {} registered at {} with {} slots{}", worker->id, request.address(), request.slots(),
               request.location().empty() ? "" : " next to " + request.location());
  rpc::RegisterWorkerResponse response;
  response.set_worker_id(worker->id);
  response.set_heartbeat_ms(options_.heartbeat_ms);
  response.set_term(term_);
  MarkDirty(*worker);
  workers_[worker->id] = std::move(worker);
  return response;
}

rpc::HeartbeatResponse JobTracker::Heartbeat(const rpc::HeartbeatRequest& request) {
  rpc::HeartbeatResponse response = HeartbeatLocked(request);
  // Assignments must be on record before the worker starts them: a successor must never hand
  // out the same attempt number again.
  Status s = Flush();
  if (!s.ok()) {
    spdlog::warn("saving coordinator state: {}", s.ToString());
    if (response.assignments_size() > 0) RevokeAssignments(&response, s.message());
  }
  return response;
}

void JobTracker::RevokeAssignments(rpc::HeartbeatResponse* response, const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const rpc::TaskSpec& spec : response->assignments()) {
    auto it = jobs_.find(spec.job_id());
    if (it == jobs_.end()) continue;
    Job& job = *it->second;
    auto& tasks = job.tasks(spec.kind());
    if (spec.task() >= tasks.size()) continue;
    Task& task = tasks[spec.task()];
    Attempt* attempt = task.FindAttempt(spec.attempt());
    if (attempt == nullptr || attempt->state != AttemptState::kRunning) continue;
    attempt->state = AttemptState::kLost;
    attempt->error = "not started: the assignment could not be recorded: " + why;
    attempt->end_unix = NowUnix();
    if (task.state == rpc::RUNNING && !task.HasRunningAttempt()) task.state = rpc::IDLE;
    MarkDirty(job);
  }
  response->clear_assignments();
}

rpc::HeartbeatResponse JobTracker::HeartbeatLocked(const rpc::HeartbeatRequest& request) {
  rpc::HeartbeatResponse response;
  response.set_term(term_);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = workers_.find(request.worker_id());
  if (it == workers_.end() || !it->second->alive) {
    // Unknown or declared dead: its work was already given to others, so it must start afresh.
    response.set_reregister(true);
    return response;
  }
  Worker& worker = *it->second;
  const int64_t now = env_->NowMicros();
  worker.last_heartbeat_us = now;
  worker.last_heartbeat_unix = NowUnix();

  for (const rpc::TaskResult& result : request.finished()) HandleResult(worker, result, &response);
  for (const rpc::RunningAttempt& running : request.running()) {
    auto job_it = jobs_.find(running.job_id());
    Attempt* attempt = nullptr;
    Task* task = nullptr;
    if (job_it != jobs_.end()) {
      auto& tasks = job_it->second->tasks(running.kind());
      if (running.task() < tasks.size()) {
        task = &tasks[running.task()];
        attempt = task->FindAttempt(running.attempt());
      }
    }
    const bool wanted = attempt && attempt->state == AttemptState::kRunning && !job_it->second->finished() &&
                        task->state != rpc::DONE && attempt->worker_id == worker.id;
    if (!wanted) {
      rpc::AttemptRef* kill = response.add_kill();
      kill->set_job_id(running.job_id());
      kill->set_kind(running.kind());
      kill->set_task(running.task());
      kill->set_attempt(running.attempt());
      continue;
    }
    if (running.records_in() != attempt->progress) {
      attempt->progress = running.records_in();
      attempt->last_progress_us = now;
    }
  }
  AssignTasks(worker, request.free_slots(), &response);
  for (const auto& [id, job] : jobs_) {
    if (job->finished() && worker.cleaned_jobs.insert(id).second) response.add_finished_jobs(id);
  }
  return response;
}

void JobTracker::HandleResult(Worker& worker, const rpc::TaskResult& result, rpc::HeartbeatResponse* response) {
  auto job_it = jobs_.find(result.job_id());
  if (job_it == jobs_.end()) return;
  Job& job = *job_it->second;
  auto& tasks = job.tasks(result.kind());
  if (result.task() >= tasks.size()) return;
  Task& task = tasks[result.task()];
  Attempt* attempt = task.FindAttempt(result.attempt());
  if (attempt == nullptr || attempt->state != AttemptState::kRunning || attempt->worker_id != worker.id) return;
  MarkDirty(job);
  attempt->end_unix = NowUnix();
  attempt->result = result;
  if (job.finished()) {
    attempt->state = AttemptState::kKilled;
    return;
  }
  if (!result.ok()) {
    HandleFailure(job, task, *attempt, result);
    return;
  }
  attempt->state = AttemptState::kSucceeded;
  if (task.state == rpc::DONE) return;  // a duplicate attempt already won
  task.state = rpc::DONE;
  task.winner = static_cast<int>(attempt - task.attempts.data());
  if (task.kind == rpc::MAP) {
    if (++job.maps_done == job.maps.size() && job.state == rpc::MAPPING) job.state = rpc::REDUCING;
  } else if (++job.reduces_done == job.reduces.size()) {
    job.state = rpc::COMMITTING;
  }
  // Stop duplicates of the task still running elsewhere.
  for (const Attempt& other : task.attempts) {
    if (other.state != AttemptState::kRunning) continue;
    rpc::AttemptRef* kill = response->add_kill();  // the worker ignores attempts it does not run
    kill->set_job_id(job.id);
    kill->set_kind(task.kind);
    kill->set_task(task.index);
    kill->set_attempt(other.number);
  }
}

void JobTracker::HandleFailure(Job& job, Task& task, Attempt& attempt, const rpc::TaskResult& result) {
  if (result.lost_map_tasks_size() > 0) {
    // Not the task's fault: map outputs it needed are gone. Re-run those maps, then retry.
    attempt.state = AttemptState::kLost;
    attempt.error = result.error();
    for (uint32_t m : result.lost_map_tasks()) {
      // Only the output this attempt was sent can be lost: one redone since (its worker was
      // declared dead meanwhile, say) is another, and fine.
      if (m < job.maps.size() && job.maps[m].winner >= 0 &&
          job.maps[m].attempts[static_cast<size_t>(job.maps[m].winner)].end_unix > attempt.start_unix) {
        continue;
      }
      MarkMapOutputLost(job, m, result.error());
    }
    if (task.state == rpc::RUNNING && !task.HasRunningAttempt()) task.state = rpc::IDLE;
    return;
  }
  attempt.state = AttemptState::kFailed;
  attempt.error = result.error();
  task.failures++;
  task.failed_on.insert(attempt.worker_id);
  spdlog::warn("job {}: {} attempt {} failed on {}: {}", job.id, TaskName(task.kind, task.index), attempt.number,
               attempt.worker_id, result.error());
  if (task.state == rpc::DONE) return;
  if (task.failures >= job.spec.max_attempts()) {
    FailJob(job, TaskName(task.kind, task.index) + " failed " + std::to_string(task.failures) +
                     " times; last error: " + result.error());
    return;
  }
  if (!task.HasRunningAttempt()) task.state = rpc::IDLE;
}

void JobTracker::MarkMapOutputLost(Job& job, uint32_t map_task, const std::string& why) {
  if (map_task >= job.maps.size()) return;
  Task& map = job.maps[map_task];
  if (map.state != rpc::DONE) return;
  Attempt& winner = map.attempts[static_cast<size_t>(map.winner)];
  winner.state = AttemptState::kLost;
  winner.error = "output lost: " + why;
  map.state = map.HasRunningAttempt() ? rpc::RUNNING : rpc::IDLE;
  map.winner = -1;
  job.maps_done--;
  if (job.state == rpc::REDUCING) job.state = rpc::MAPPING;
  spdlog::info("job {}: re-executing map task {} ({})", job.id, map_task, why);
}

bool JobTracker::ShardHasUsableWorker(const std::string& shard, const Task& task) const {
  for (const auto& [id, w] : workers_) {
    if (w->alive && w->info.location() == shard && !task.failed_on.count(id)) return true;
  }
  return false;
}

bool JobTracker::HasOtherLiveWorker(const Task& task) const {
  for (const auto& [id, w] : workers_) {
    if (w->alive && !task.failed_on.count(id)) return true;
  }
  return false;
}

JobTracker::Task* JobTracker::PickTask(Job& job, const Worker& worker) {
  auto eligible = [&](const Task& t) {
    if (t.state != rpc::IDLE) return false;
    // Prefer a worker where the task has not failed yet, if there is one.
    return !t.failed_on.count(worker.id) || !HasOtherLiveWorker(t);
  };
  if (job.state == rpc::MAPPING) {
    // Data locality first: a split runs next to its shard whenever a worker there can take it.
    Task* fallback = nullptr;
    for (Task& t : job.maps) {
      if (!eligible(t)) continue;
      const std::string& shard = t.split.location();
      if (!shard.empty() && shard == worker.info.location()) return &t;
      // Elsewhere only when no live worker next to the shard can take it (none, or all failed it).
      if (fallback == nullptr && (shard.empty() || !ShardHasUsableWorker(shard, t))) fallback = &t;
    }
    return fallback;
  }
  if (job.state == rpc::REDUCING) {
    for (Task& t : job.reduces) {
      if (eligible(t)) return &t;
    }
  }
  return nullptr;
}

void JobTracker::AssignTasks(Worker& worker, uint32_t free_slots, rpc::HeartbeatResponse* response) {
  for (const std::string& id : job_order_) {
    if (free_slots == 0) return;
    Job& job = *jobs_[id];
    if (job.finished() || job.abort_pending) continue;
    while (free_slots > 0) {
      Task* task = PickTask(job, worker);
      if (task == nullptr) break;
      *response->add_assignments() = StartAttempt(job, *task, worker);
      free_slots--;
    }
  }
}

rpc::TaskSpec JobTracker::StartAttempt(Job& job, Task& task, Worker& worker) {
  Attempt attempt;
  attempt.number = static_cast<uint32_t>(task.attempts.size()) + 1;
  attempt.worker_id = worker.id;
  attempt.worker_address = worker.info.address();
  attempt.start_us = attempt.last_progress_us = env_->NowMicros();
  attempt.start_unix = NowUnix();
  task.attempts.push_back(attempt);
  task.state = rpc::RUNNING;
  MarkDirty(job);

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
    for (const Task& map : job.maps) {
      const Attempt& winner = map.attempts[static_cast<size_t>(map.winner)];
      rpc::MapOutputLocation* loc = spec.add_map_outputs();
      loc->set_map_task(map.index);
      loc->set_attempt(winner.number);
      loc->set_worker_id(winner.worker_id);
      loc->set_worker_address(winner.worker_address);
    }
  }
  spdlog::debug("job {}: {} attempt {} -> {}", job.id, TaskName(task.kind, task.index), attempt.number, worker.id);
  return spec;
}

void JobTracker::FailJob(Job& job, const std::string& error) {
  spdlog::error("job {} failed: {}", job.id, error);
  MarkDirty(job);
  job.error = error;
  job.state = rpc::ABORTING;
  job.final_state = rpc::FAILED;
  job.abort_pending = true;
}

Status JobTracker::Cancel(const std::string& job_id) {
  RETURN_IF_ERROR(CancelLocked(job_id));
  return Flush();
}

Status JobTracker::CancelLocked(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return NotFound("no job " + job_id);
  Job& job = *it->second;
  if (job.finished()) return FailedPrecondition("job " + job_id + " has already ended");
  job.state = rpc::ABORTING;
  job.final_state = rpc::CANCELLED;
  job.error = "cancelled by user";
  job.abort_pending = true;
  MarkDirty(job);
  return Status::OK();
}

void JobTracker::DeclareWorkerDead(Worker& worker, const std::string& why) {
  spdlog::warn("worker {} at {} is dead: {}", worker.id, worker.info.address(), why);
  worker.alive = false;
  MarkDirty(worker);
  for (auto& [id, job] : jobs_) {
    if (job->finished()) continue;
    MarkDirty(*job);
    for (auto* tasks : {&job->maps, &job->reduces}) {
      for (Task& task : *tasks) {
        for (Attempt& a : task.attempts) {
          if (a.worker_id != worker.id || a.state != AttemptState::kRunning) continue;
          a.state = AttemptState::kLost;
          a.error = "worker lost: " + why;
          a.end_unix = NowUnix();
        }
        if (task.state == rpc::RUNNING && !task.HasRunningAttempt()) task.state = rpc::IDLE;
      }
    }
    // Map outputs live on the worker's disk: re-run them unless every reduce is already done.
    if (job->reduces_done == job->reduces.size()) continue;
    for (Task& map : job->maps) {
      if (map.state == rpc::DONE && map.attempts[static_cast<size_t>(map.winner)].worker_id == worker.id) {
        MarkMapOutputLost(*job, map.index, "worker " + worker.id + " is gone");
      }
    }
  }
}

void JobTracker::CheckSilentAttempts(int64_t now) {
  for (auto& [id, job] : jobs_) {
    if (job->finished()) continue;
    for (auto* tasks : {&job->maps, &job->reduces}) {
      for (Task& task : *tasks) {
        for (Attempt& a : task.attempts) {
          if (a.state != AttemptState::kRunning || now - a.last_progress_us < options_.attempt_timeout_us) continue;
          MarkDirty(*job);
          a.state = AttemptState::kLost;
          a.error = "no progress for " + std::to_string(options_.attempt_timeout_us / 1000000) + " s; re-issued";
          a.end_unix = NowUnix();
          spdlog::warn("job {}: {} attempt {} on {} is silent; re-issuing", id, TaskName(task.kind, task.index),
                       a.number, a.worker_id);
          if (task.state == rpc::RUNNING && !task.HasRunningAttempt()) task.state = rpc::IDLE;
        }
      }
    }
  }
}

void JobTracker::Tick() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = env_->NowMicros();
    for (auto& [id, worker] : workers_) {
      if (worker->alive && now - worker->last_heartbeat_us > options_.worker_timeout_us) {
        DeclareWorkerDead(*worker, "no heartbeat for " + std::to_string(options_.worker_timeout_us / 1000) + " ms");
      }
    }
    CheckSilentAttempts(now);
  }
  FinishJobs();
  Status s = Flush();
  if (!s.ok()) spdlog::warn("saving coordinator state: {}", s.ToString());
}

void JobTracker::FinishJobs() {
  struct Work {
    Job* job;
    bool commit;
    std::vector<CommittedPartition> winners;
  };
  std::vector<Work> work;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, job] : jobs_) {
      if (job->abort_pending) {
        work.push_back({job.get(), false, {}});
        job->abort_pending = false;
        MarkDirty(*job);
      } else if (job->state == rpc::COMMITTING && job->end_unix == 0) {
        Work w{job.get(), true, {}};
        for (const Task& r : job->reduces) {
          const Attempt& a = r.attempts[static_cast<size_t>(r.winner)];
          w.winners.push_back({r.index, a.number, a.result.output_location()});
        }
        job->end_unix = -1;  // marks the commit as under way
        MarkDirty(*job);
        work.push_back(std::move(w));
      }
    }
  }
  // Record "committing" (with the winners) before touching the output, so that a coordinator
  // taking over redoes an interrupted commit instead of losing it. Without that record, or once
  // fenced (another coordinator may own these jobs now), leave the output alone; try again later.
  if (work.empty()) return;
  if (Status s = Flush(); !s.ok() || fenced_) {
    std::lock_guard<std::mutex> lock(mu_);
    for (Work& w : work) {
      if (w.commit) {
        w.job->end_unix = 0;
      } else {
        w.job->abort_pending = true;
      }
      MarkDirty(*w.job);
    }
    if (!fenced_) spdlog::warn("not finishing jobs yet: their state could not be recorded: {}", s.ToString());
    return;
  }
  // Jobs are never erased, so the pointers stay valid; only this thread touches these jobs' outputs.
  for (Work& w : work) {
    if (fenced_) return;  // the rest are redone by whoever owns them now
    Status s = w.commit ? w.job->output->CommitJob(w.job->id, w.winners) : w.job->output->AbortJob(w.job->id);
    std::lock_guard<std::mutex> lock(mu_);
    MarkDirty(*w.job);
    if (!w.commit) {
      if (!s.ok()) spdlog::warn("job {}: cleaning up output failed: {}", w.job->id, s.ToString());
      // Only now is the job over for clients: nothing of it is left in the output.
      w.job->state = w.job->final_state;
      w.job->end_unix = NowUnix();
      continue;
    }
    w.job->end_unix = NowUnix();
    if (s.ok()) {
      w.job->state = rpc::SUCCEEDED;
      spdlog::info("job {} succeeded; output in {}", w.job->id, w.job->output->Describe());
    } else {
      w.job->state = rpc::FAILED;
      w.job->error = "committing the output failed: " + s.ToString();
      spdlog::error("job {}: {}", w.job->id, w.job->error);
    }
  }
}

StatusOr<rpc::JobStatus> JobTracker::GetJob(const std::string& job_id, bool with_tasks) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return NotFound("no job " + job_id + " on this coordinator");
  rpc::JobStatus status;
  FillStatus(*it->second, with_tasks, &status);
  return status;
}

std::vector<rpc::JobStatus> JobTracker::ListJobs() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<rpc::JobStatus> out;
  for (const std::string& id : job_order_) {
    out.emplace_back();
    FillStatus(*jobs_[id], false, &out.back());
  }
  return out;
}

StatusOr<std::vector<std::string>> JobTracker::InlineOutputFiles(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return NotFound("no job " + job_id + " on this coordinator");
  const Job& job = *it->second;
  if (!job.spec.inline_output()) return FailedPrecondition("job " + job_id + " did not write --output inline");
  if (job.state != rpc::SUCCEEDED) return FailedPrecondition("job " + job_id + " has not succeeded");
  if (!job.output) return FailedPrecondition("job " + job_id + " has no output open on this coordinator");
  return job.output->LocalResultFiles(static_cast<uint32_t>(job.reduces.size()));
}

rpc::ClusterStatusResponse JobTracker::ClusterStatus() {
  std::lock_guard<std::mutex> lock(mu_);
  rpc::ClusterStatusResponse response;
  response.set_active(true);
  for (const auto& [id, w] : workers_) {
    rpc::WorkerInfo* info = response.add_workers();
    info->set_worker_id(id);
    info->set_address(w->info.address());
    info->set_slots(w->info.slots());
    info->set_shard(w->info.location());
    info->set_alive(w->alive);
    info->set_last_heartbeat_unix(w->last_heartbeat_unix);
    info->set_pid(w->info.pid());
  }
  return response;
}

void JobTracker::FillStatus(const Job& job, bool with_tasks, rpc::JobStatus* out) const {
  out->set_job_id(job.id);
  *out->mutable_spec() = job.spec;
  // Status is shown to anyone who can ask: never the passwords inside MongoDB URIs.
  out->mutable_spec()->set_input_uri(FormatRegistry::Default().RedactUri(job.spec.input_uri()));
  out->mutable_spec()->set_output_uri(FormatRegistry::Default().RedactUri(job.spec.output_uri()));
  out->set_state(job.state);
  out->set_error(job.error);
  out->set_submit_unix(job.submit_unix);
  out->set_end_unix(std::max(0.0, job.end_unix));
  out->set_maps_done(job.maps_done);
  out->set_maps_total(static_cast<uint32_t>(job.maps.size()));
  out->set_reduces_done(job.reduces_done);
  out->set_reduces_total(static_cast<uint32_t>(job.reduces.size()));
  out->set_output_location(job.output ? job.output->Describe() : "");
  std::map<std::string, int64_t> counters;
  std::map<std::string, rpc::ShardReport> shards;
  for (const auto* tasks : {&job.maps, &job.reduces}) {
    for (const Task& task : *tasks) {
      if (task.winner >= 0) {
        const rpc::TaskResult& r = task.attempts[static_cast<size_t>(task.winner)].result;
        for (const rpc::Counter& c : r.counters()) counters[c.name()] += c.value();
        if (task.kind == rpc::MAP) {
          out->set_input_records(out->input_records() + r.records_in());
          out->set_input_bytes(out->input_bytes() + r.bytes_in());
          const std::string& shard = task.split.location();
          if (!shard.empty()) {
            rpc::ShardReport& report = shards[shard];
            if (report.shard().empty()) {
              report.set_shard(shard);
              report.set_all_local(true);
            }
            report.set_documents_read(report.documents_read() + r.records_in());
            report.set_orphans_skipped(report.orphans_skipped() + r.orphans_skipped());
            report.set_bytes(report.bytes() + r.bytes_in());
            report.set_map_tasks(report.map_tasks() + 1);
            report.add_workers(task.attempts[static_cast<size_t>(task.winner)].worker_id);
            report.set_all_local(report.all_local() && r.read_locally());
          }
        } else {
          out->set_output_records(out->output_records() + r.records_out());
        }
      }
      if (!with_tasks) continue;
      rpc::TaskStatus* ts = out->add_tasks();
      ts->set_kind(task.kind);
      ts->set_task(task.index);
      ts->set_state(task.state);
      if (task.kind == rpc::MAP) ts->set_input(task.split.description());
      for (const Attempt& a : task.attempts) {
        rpc::AttemptStatus* as = ts->add_attempts();
        as->set_attempt(a.number);
        as->set_worker_id(a.worker_id);
        as->set_worker_address(a.worker_address);
        as->set_state(AttemptStateName(a.state));
        as->set_error(a.error);
        as->set_start_unix(a.start_unix);
        as->set_end_unix(a.end_unix);
        as->set_records_in(a.result.records_in());
        as->set_records_out(a.result.records_out());
        as->set_bytes_in(a.result.bytes_in());
        as->set_read_locally(a.result.read_locally());
        as->set_orphans_skipped(a.result.orphans_skipped());
        as->set_shard(task.split.location());
      }
    }
  }
  for (const auto& [name, value] : counters) {
    rpc::Counter* c = out->add_counters();
    c->set_name(name);
    c->set_value(value);
  }
  for (auto& [name, report] : shards) *out->add_shards() = report;
}

}  // namespace aviary::coordinator

namespace aviary::coordinator {

void JobTracker::MarkDirty(const Job& job) {
  if (store_ != nullptr) dirty_jobs_.insert(job.id);
}

void JobTracker::MarkDirty(const Worker& worker) {
  if (store_ != nullptr) dirty_workers_.insert(worker.id);
}

Status JobTracker::Flush() {
  if (store_ == nullptr) return Status::OK();
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  if (fenced_) return Aborted("the coordinator of term " + std::to_string(term_) + " stepped down");
  std::vector<rpc::JobRecord> jobs;
  std::vector<rpc::WorkerRecord> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& id : dirty_jobs_) {
      jobs.push_back(ToRecord(*jobs_[id]));
      jobs.back().set_term(term_);
    }
    for (const std::string& id : dirty_workers_) {
      const Worker& w = *workers_[id];
      rpc::WorkerRecord r;
      r.set_worker_id(w.id);
      *r.mutable_info() = w.info;
      r.set_alive(w.alive);
      workers.push_back(std::move(r));
    }
    dirty_jobs_.clear();
    dirty_workers_.clear();
  }
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
  if (!first.ok()) {
    // Try again next time: put everything back on the dirty lists.
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& job : jobs) dirty_jobs_.insert(job.job_id());
    for (const auto& worker : workers) dirty_workers_.insert(worker.worker_id());
  }
  return first;
}

namespace {

AttemptState AttemptStateFromName(const std::string& name) {
  for (AttemptState s : {AttemptState::kRunning, AttemptState::kSucceeded, AttemptState::kFailed,
                         AttemptState::kKilled, AttemptState::kLost}) {
    if (name == AttemptStateName(s)) return s;
  }
  return AttemptState::kLost;
}

}  // namespace

rpc::JobRecord JobTracker::ToRecord(const Job& job) {
  rpc::JobRecord r;
  r.set_job_id(job.id);
  *r.mutable_spec() = job.spec;
  r.set_state(job.state);
  r.set_final_state(job.final_state);
  r.set_error(job.error);
  r.set_submit_unix(job.submit_unix);
  r.set_end_unix(job.end_unix);
  r.set_abort_pending(job.abort_pending);
  for (const auto* tasks : {&job.maps, &job.reduces}) {
    for (const Task& t : *tasks) {
      rpc::TaskRecord* tr = t.kind == rpc::MAP ? r.add_maps() : r.add_reduces();
      tr->set_kind(t.kind);
      tr->set_index(t.index);
      tr->set_state(t.state);
      tr->set_failures(t.failures);
      tr->set_winner(t.winner);
      for (const std::string& w : t.failed_on) tr->add_failed_on(w);
      if (t.kind == rpc::MAP) *tr->mutable_split() = t.split;
      for (const Attempt& a : t.attempts) {
        rpc::AttemptRecord* ar = tr->add_attempts();
        ar->set_number(a.number);
        ar->set_worker_id(a.worker_id);
        ar->set_worker_address(a.worker_address);
        ar->set_state(AttemptStateName(a.state));
        ar->set_error(a.error);
        ar->set_start_unix(a.start_unix);
        ar->set_end_unix(a.end_unix);
        ar->set_progress(a.progress);
        *ar->mutable_result() = a.result;
      }
    }
  }
  return r;
}

std::unique_ptr<JobTracker::Job> JobTracker::FromRecord(const rpc::JobRecord& r) {
  auto job = std::make_unique<Job>();
  job->id = r.job_id();
  job->spec = r.spec();
  job->state = r.state();
  job->final_state = r.final_state();
  job->error = r.error();
  job->submit_unix = r.submit_unix();
  // A commit that was under way is done again; outputs make CommitJob safe to repeat.
  job->end_unix = r.end_unix() < 0 ? 0 : r.end_unix();
  job->abort_pending = r.abort_pending() || r.state() == rpc::ABORTING;
  const int64_t now = env_->NowMicros();
  for (const auto* records : {&r.maps(), &r.reduces()}) {
    for (const rpc::TaskRecord& tr : *records) {
      Task t;
      t.kind = tr.kind();
      t.index = tr.index();
      t.state = tr.state();
      t.failures = tr.failures();
      t.winner = tr.winner();
      t.failed_on.insert(tr.failed_on().begin(), tr.failed_on().end());
      t.split = tr.split();
      for (const rpc::AttemptRecord& ar : tr.attempts()) {
        Attempt a;
        a.number = ar.number();
        a.worker_id = ar.worker_id();
        a.worker_address = ar.worker_address();
        a.state = AttemptStateFromName(ar.state());
        a.error = ar.error();
        a.start_unix = ar.start_unix();
        a.end_unix = ar.end_unix();
        a.progress = ar.progress();
        a.result = ar.result();
        a.start_us = a.last_progress_us = now;  // give running attempts a full timeout again
        t.attempts.push_back(std::move(a));
      }
      (t.kind == rpc::MAP ? job->maps : job->reduces).push_back(std::move(t));
    }
  }
  for (const Task& m : job->maps) job->maps_done += m.state == rpc::DONE;
  for (const Task& rd : job->reduces) job->reduces_done += rd.state == rpc::DONE;
  if (!job->finished() && job->maps.size() > 0 && job->maps_done < job->maps.size()) job->state = rpc::MAPPING;
  job->output = nullptr;
  return job;
}

Status JobTracker::Restore() {
  if (store_ == nullptr) return Status::OK();
  ASSIGN_OR_RETURN(std::vector<rpc::JobRecord> jobs, store_->LoadJobs());
  ASSIGN_OR_RETURN(std::vector<rpc::WorkerRecord> workers, store_->LoadWorkers());
  std::sort(jobs.begin(), jobs.end(),
            [](const rpc::JobRecord& a, const rpc::JobRecord& b) { return a.submit_unix() < b.submit_unix(); });
  std::vector<std::unique_ptr<Job>> restored;
  for (const rpc::JobRecord& record : jobs) {
    std::unique_ptr<Job> job = FromRecord(record);
    StatusOr<std::unique_ptr<OutputFormat>> output = OutputFormat::ForJob(job->spec, env_);
    if (!output.ok()) return output.status().WithContext("restoring job " + job->id);
    job->output = std::move(output).value();
    restored.push_back(std::move(job));
  }
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = env_->NowMicros();
  for (const rpc::WorkerRecord& record : workers) {
    auto w = std::make_unique<Worker>();
    w->id = record.worker_id();
    w->info = record.info();
    w->alive = record.alive();
    w->last_heartbeat_us = now;  // a grace period: live workers heartbeat us within it
    w->last_heartbeat_unix = NowUnix();
    workers_[w->id] = std::move(w);
  }
  for (auto& job : restored) {
    job_order_.push_back(job->id);
    jobs_[job->id] = std::move(job);
  }
  spdlog::info("restored {} jobs and {} workers from the metadata store", jobs.size(), workers.size());
  return Status::OK();
}

}  // namespace aviary::coordinator
