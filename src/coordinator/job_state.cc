#include "coordinator/job_state.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace aviary::coordinator {
namespace {

constexpr JobPhase kAllPhases[] = {
    JobPhase::kPlanning,  JobPhase::kMapping,   JobPhase::kReducing,  JobPhase::kCommitting,
    JobPhase::kCommitUnderway, JobPhase::kFailing, JobPhase::kCancelling, JobPhase::kSucceeded,
    JobPhase::kFailed,    JobPhase::kCancelled,
};
constexpr AttemptState kAllAttemptStates[] = {AttemptState::kRunning, AttemptState::kSucceeded,
                                              AttemptState::kFailed, AttemptState::kKilled, AttemptState::kLost};

[[noreturn]] void IllegalTransition(const std::string& what, const char* from, const char* to) {
  spdlog::critical("broken invariant: {} went from {} to {}", what, from, to);
  spdlog::default_logger()->flush();
  // Also on stderr, which outlives a logger pointed elsewhere (and death tests read).
  std::fprintf(stderr, "broken invariant: %s went from %s to %s\n", what.c_str(), from, to);
  std::abort();
}

}  // namespace

const char* PhaseName(JobPhase phase) {
  switch (phase) {
    case JobPhase::kPlanning: return "planning";
    case JobPhase::kMapping: return "mapping";
    case JobPhase::kReducing: return "reducing";
    case JobPhase::kCommitting: return "committing";
    case JobPhase::kCommitUnderway: return "commit-underway";
    case JobPhase::kFailing: return "failing";
    case JobPhase::kCancelling: return "cancelling";
    case JobPhase::kSucceeded: return "succeeded";
    case JobPhase::kFailed: return "failed";
    case JobPhase::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::optional<JobPhase> PhaseFromName(const std::string& name) {
  for (JobPhase p : kAllPhases) {
    if (name == PhaseName(p)) return p;
  }
  return std::nullopt;
}

const char* AttemptStateName(AttemptState state) {
  switch (state) {
    case AttemptState::kRunning: return "running";
    case AttemptState::kSucceeded: return "succeeded";
    case AttemptState::kFailed: return "failed";
    case AttemptState::kKilled: return "killed";
    case AttemptState::kLost: return "lost";
  }
  return "unknown";
}

std::optional<AttemptState> AttemptStateFromName(const std::string& name) {
  for (AttemptState s : kAllAttemptStates) {
    if (name == AttemptStateName(s)) return s;
  }
  return std::nullopt;
}

rpc::JobState PublicState(JobPhase phase) {
  switch (phase) {
    case JobPhase::kPlanning: return rpc::PENDING;
    case JobPhase::kMapping: return rpc::MAPPING;
    case JobPhase::kReducing: return rpc::REDUCING;
    case JobPhase::kCommitting:
    case JobPhase::kCommitUnderway: return rpc::COMMITTING;
    case JobPhase::kFailing:
    case JobPhase::kCancelling: return rpc::ABORTING;
    case JobPhase::kSucceeded: return rpc::SUCCEEDED;
    case JobPhase::kFailed: return rpc::FAILED;
    case JobPhase::kCancelled: return rpc::CANCELLED;
  }
  return rpc::JOB_STATE_UNSPECIFIED;
}

bool IsLegalTransition(JobPhase from, JobPhase to) {
  using P = JobPhase;
  // A job still running tasks can fail or be cancelled; a commit, once started, cannot.
  const bool running = from == P::kMapping || from == P::kReducing || from == P::kCommitting;
  if (running && (to == P::kFailing || to == P::kCancelling)) return true;
  switch (from) {
    case P::kPlanning: return to == P::kMapping || to == P::kReducing;  // no maps: reduce at once
    // A reduce can still finish while a lost map output is redone.
    case P::kMapping: return to == P::kReducing || to == P::kCommitting;
    case P::kReducing: return to == P::kMapping || to == P::kCommitting;
    case P::kCommitting: return to == P::kCommitUnderway;
    // Back to kCommitting when the commit could not be recorded first.
    case P::kCommitUnderway: return to == P::kSucceeded || to == P::kFailed || to == P::kCommitting;
    case P::kFailing: return to == P::kFailed;
    case P::kCancelling: return to == P::kCancelled;
    case P::kSucceeded:
    case P::kFailed:
    case P::kCancelled: return false;
  }
  return false;
}

bool IsLegalTransition(AttemptState from, AttemptState to) {
  if (from == AttemptState::kRunning) return to != AttemptState::kRunning;
  // A map output that its reducers cannot fetch any more is lost after the fact.
  return from == AttemptState::kSucceeded && to == AttemptState::kLost;
}

void Attempt::SetState(AttemptState to) {
  if (!IsLegalTransition(state, to)) {
    IllegalTransition("attempt " + std::to_string(number), AttemptStateName(state), AttemptStateName(to));
  }
  state = to;
}

Attempt* Task::FindAttempt(uint32_t number) {
  for (Attempt& a : attempts) {
    if (a.number == number) return &a;
  }
  return nullptr;
}

bool Task::HasRunningAttempt() const {
  return Carried() || std::any_of(attempts.begin(), attempts.end(),
                                  [](const Attempt& a) { return a.state == AttemptState::kRunning; });
}

bool Task::ReleaseIfNoneRunning() {
  if (state != rpc::RUNNING || HasRunningAttempt()) return false;
  state = rpc::IDLE;
  return true;
}

std::string Task::Name() const {
  return std::string(kind == rpc::MAP ? "map" : "reduce") + " task " + std::to_string(index);
}

void Job::SetPhase(JobPhase to) {
  if (!IsLegalTransition(phase, to)) IllegalTransition("job " + id, PhaseName(phase), PhaseName(to));
  phase = to;
}

void Job::StopOpenTasks(const std::string& why, double now_unix) {
  for (auto* list : {&maps, &reduces}) {
    for (Task& task : *list) {
      for (Attempt& a : task.attempts) {
        if (a.state != AttemptState::kRunning) continue;
        a.SetState(AttemptState::kKilled);
        a.error = why;
        a.end_unix = now_unix;
      }
      ReleaseIfNoneRunning(task);
    }
  }
}

void Job::ReleaseIfNoneRunning(Task& task) {
  for (const Attempt& a : task.attempts) {
    if (a.state != AttemptState::kRunning && !a.carries.empty()) ReleaseCarried(task, a);
  }
  if (task.ReleaseIfNoneRunning()) NoteIdle(task);
}

void Job::ReleaseCarried(const Task& host, const Attempt& a) {
  for (uint32_t index : a.carries) {
    Task& carried = maps[index];
    if (!carried.Carried() || !carried.CarriedBy(host.index, a.number)) continue;
    carried.carrier.reset();
    if (carried.ReleaseIfNoneRunning()) NoteIdle(carried);
  }
}

bool Job::finished() const {
  const rpc::JobState s = PublicState(phase);
  return s == rpc::SUCCEEDED || s == rpc::FAILED || s == rpc::CANCELLED || s == rpc::ABORTING;
}

std::string Job::InlineSpoolDir() const {
  constexpr std::string_view kInlineScheme = "inline:";
  const std::string& uri = spec.output_uri();
  return spec.inline_output() && uri.starts_with(kInlineScheme) ? uri.substr(kInlineScheme.size()) : "";
}

Task* Job::FindTask(rpc::TaskKind kind, uint32_t index) {
  std::vector<Task>& list = tasks(kind);
  return index < list.size() ? &list[index] : nullptr;
}

void ClusterState::MarkDirty(const Job& job) {
  if (track_changes) dirty_jobs.insert(job.id);
}

void ClusterState::MarkDirty(const Worker& worker) {
  if (track_changes) dirty_workers.insert(worker.id);
}

Job* ClusterState::FindJob(const std::string& id) {
  auto it = jobs.find(id);
  return it == jobs.end() ? nullptr : it->second.get();
}

FoundAttempt ClusterState::FindAttempt(const std::string& job_id, rpc::TaskKind kind, uint32_t task, uint32_t number) {
  Job* job = FindJob(job_id);
  Task* t = job != nullptr ? job->FindTask(kind, task) : nullptr;
  Attempt* attempt = t != nullptr ? t->FindAttempt(number) : nullptr;
  if (attempt == nullptr) return {};
  return {job, t, attempt};
}

uint32_t ClusterState::LiveSlots() const {
  uint32_t slots = 0;
  for (const auto& [id, w] : workers) {
    if (w->alive) slots += w->info.slots();
  }
  return slots;
}

}  // namespace aviary::coordinator
