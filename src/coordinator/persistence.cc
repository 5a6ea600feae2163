#include "coordinator/persistence.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "coordinator/status_report.h"

namespace aviary::coordinator {
namespace {

void ToRecord(const Task& t, rpc::TaskRecord* tr) {
  tr->set_kind(t.kind);
  tr->set_index(t.index);
  tr->set_state(t.state);
  tr->set_failures(t.failures);
  tr->set_winner(t.winner);
  for (const std::string& w : t.failed_on) tr->add_failed_on(w);
  if (t.kind == rpc::MAP) *tr->mutable_split() = t.split;
  if (t.carrier) *tr->mutable_carrier() = *t.carrier;
  for (const Attempt& a : t.attempts) {
    rpc::AttemptRecord* ar = tr->add_attempts();
    FillAttemptFields(a, ar->mutable_status());
    ar->set_progress(a.progress);
    *ar->mutable_result() = a.result;
  }
}

StatusOr<Attempt> FromRecord(const rpc::AttemptRecord& ar, int64_t now_us) {
  const rpc::AttemptStatus& s = ar.status();
  std::optional<AttemptState> state = AttemptStateFromName(s.state());
  if (!state) return DataLoss("attempt " + std::to_string(s.attempt()) + " has an unknown state " + s.state());
  Attempt a;
  a.number = s.attempt();
  a.worker_id = s.worker_id();
  a.worker_address = s.worker_address();
  a.state = *state;
  a.error = s.error();
  a.start_unix = s.start_unix();
  a.end_unix = s.end_unix();
  a.progress = ar.progress();
  a.result = ar.result();
  a.carried = s.carried();
  a.carried_by_task = s.carried_by_task();
  a.carried_by_attempt = s.carried_by_attempt();
  a.start_us = a.last_progress_us = now_us;  // give running attempts a full timeout again
  return a;
}

StatusOr<Task> FromRecord(const rpc::TaskRecord& tr, int64_t now_us) {
  Task t;
  t.kind = tr.kind();
  t.index = tr.index();
  t.state = tr.state();
  t.failures = tr.failures();
  t.winner = tr.winner();
  t.failed_on.insert(tr.failed_on().begin(), tr.failed_on().end());
  t.split = tr.split();
  if (tr.has_carrier()) t.carrier = tr.carrier();
  for (const rpc::AttemptRecord& ar : tr.attempts()) {
    ASSIGN_OR_RETURN(Attempt a, FromRecord(ar, now_us));
    t.attempts.push_back(std::move(a));
  }
  if (t.winner >= static_cast<int>(t.attempts.size())) return DataLoss(t.Name() + " names a winner it does not have");
  return t;
}

// Rebuilds each attempt's list of the tasks it carries (Attempt::carries) from the tasks'
// carriers; refuses carriers that name no map attempt.
Status RestoreCarries(Job& job) {
  std::vector<std::pair<uint32_t, uint32_t>> by_seq;  // (seq, task) of each carried task
  for (Task& t : job.maps) {
    if (!t.carrier) continue;
    Task* host = job.FindTask(rpc::MAP, t.carrier->task());
    const Attempt* carrier = host != nullptr ? host->FindAttempt(t.carrier->attempt()) : nullptr;
    if (carrier == nullptr || host->carrier) {
      return DataLoss("job " + job.id + ": " + t.Name() + " names a carrier it does not have");
    }
    if (t.Carried() && carrier->state != AttemptState::kRunning) {  // read by nobody any more
      t.carrier.reset();
      t.state = rpc::IDLE;
      continue;
    }
    by_seq.emplace_back(t.carrier->seq(), t.index);
  }
  std::sort(by_seq.begin(), by_seq.end());
  for (const auto& [seq, index] : by_seq) {
    const rpc::Carrier& c = *job.maps[index].carrier;
    job.maps[c.task()].FindAttempt(c.attempt())->carries.push_back(index);
  }
  return Status::OK();
}

// Brings a restored job back to a phase this coordinator can carry on from.
void ResumePhase(Job& job) {
  if (job.phase == JobPhase::kCommitUnderway) {
    job.SetPhase(JobPhase::kCommitting);
    job.input_layout_checked = true;  // checked before the commit was recorded as under way
  }
  if (job.phase == JobPhase::kReducing && job.maps_done < job.maps.size()) job.SetPhase(JobPhase::kMapping);
  // A record written before its job's attempts were ended (by an older coordinator) must not
  // bring them back as running.
  if (job.finished() || job.phase == JobPhase::kCommitting) job.StopOpenTasks("job ended", job.end_unix);
}

}  // namespace

rpc::JobRecord ToRecord(const Job& job) {
  rpc::JobRecord r;
  r.set_job_id(job.id);
  *r.mutable_spec() = job.spec;
  r.set_state(PublicState(job.phase));
  r.set_phase(PhaseName(job.phase));
  r.set_error(job.error);
  r.set_submit_unix(job.submit_unix);
  r.set_end_unix(job.end_unix);
  for (const Task& t : job.maps) ToRecord(t, r.add_maps());
  for (const Task& t : job.reduces) ToRecord(t, r.add_reduces());
  return r;
}

StatusOr<std::unique_ptr<Job>> FromRecord(const rpc::JobRecord& r, int64_t now_us) {
  std::optional<JobPhase> phase = PhaseFromName(r.phase());
  if (!phase) return DataLoss("job " + r.job_id() + " has an unknown phase \"" + r.phase() + "\"");
  auto job = std::make_unique<Job>();
  job->id = r.job_id();
  job->spec = r.spec();
  job->phase = *phase;
  job->error = r.error();
  job->submit_unix = r.submit_unix();
  job->end_unix = r.end_unix();
  for (const auto* records : {&r.maps(), &r.reduces()}) {
    for (const rpc::TaskRecord& tr : *records) {
      ASSIGN_OR_RETURN(Task t, FromRecord(tr, now_us));
      if (t.state == rpc::DONE && t.winner < 0) return DataLoss("job " + job->id + ": " + t.Name() + " is done without a winner");
      (t.kind == rpc::MAP ? job->maps_done : job->reduces_done) += t.state == rpc::DONE;
      job->tasks(t.kind).push_back(std::move(t));
    }
  }
  RETURN_IF_ERROR(RestoreCarries(*job));
  ResumePhase(*job);
  return job;
}

rpc::WorkerRecord ToRecord(const Worker& w) {
  rpc::WorkerRecord r;
  r.set_worker_id(w.id);
  *r.mutable_info() = w.info;
  r.set_alive(w.alive);
  return r;
}

std::unique_ptr<Worker> FromRecord(const rpc::WorkerRecord& record, int64_t now_us, double now_unix) {
  auto w = std::make_unique<Worker>();
  w->id = record.worker_id();
  w->info = record.info();
  w->alive = record.alive();
  w->last_heartbeat_us = now_us;  // a grace period: live workers heartbeat us within it
  w->last_heartbeat_unix = now_unix;
  if (!w->alive) w->dead_since_us = now_us;  // its retention starts again with this coordinator
  return w;
}

}  // namespace aviary::coordinator
