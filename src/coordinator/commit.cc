#include "coordinator/commit.h"

#include <spdlog/spdlog.h>

#include "common/utf8.h"
#include "coordinator/worker_reports.h"
#include "storage/input.h"

namespace aviary::coordinator {
namespace {

FinishWork CommitWork(Job& job) {
  FinishWork w{&job, true, {}};
  for (const Task& r : job.reduces) {
    const Attempt& a = r.Winner();
    w.winners.push_back({r.index, a.number, a.result.output_location(), a.result.records_out()});
  }
  return w;
}

bool Aborting(const Job& job) { return job.phase == JobPhase::kFailing || job.phase == JobPhase::kCancelling; }

}  // namespace

std::vector<FinishWork> TakeFinishWork(ClusterState& state) {
  std::vector<FinishWork> work;
  for (auto& [id, job] : state.jobs) {
    if (Aborting(*job)) {
      work.push_back({job.get(), false, {}});
    } else if (job->phase == JobPhase::kCommitting && job->input_layout_checked) {
      work.push_back(CommitWork(*job));
      job->SetPhase(JobPhase::kCommitUnderway);
    } else {
      continue;
    }
    state.MarkDirty(*job);
  }
  return work;
}

void UndoFinishWork(ClusterState& state, const std::vector<FinishWork>& work) {
  for (const FinishWork& w : work) {
    if (w.commit) w.job->SetPhase(JobPhase::kCommitting);
    state.MarkDirty(*w.job);
  }
}

Status RunFinishWork(const FinishWork& w) {
  return w.commit ? w.job->output->CommitJob(w.job->id, w.winners) : w.job->output->AbortJob(w.job->id);
}

std::vector<LayoutCheck> TakeLayoutChecks(ClusterState& state) {
  std::vector<LayoutCheck> checks;
  for (auto& [id, job] : state.jobs) {
    if (job->phase != JobPhase::kCommitting || job->input_layout_checked) continue;
    if (job->spec.input_layout().empty()) {
      job->input_layout_checked = true;  // nothing to check
    } else {
      checks.push_back({id, job->spec});
    }
  }
  return checks;
}

void ApplyLayoutCheck(ClusterState& state, const LayoutCheck& check, const Status& result, double now_unix) {
  Job* job = state.FindJob(check.job_id);
  if (job == nullptr || job->phase != JobPhase::kCommitting) return;
  if (result.ok()) {
    job->input_layout_checked = true;
    return;
  }
  // A result that may count documents twice or miss them is never committed: aborted instead.
  FailJob(*job, result.code() == StatusCode::kAborted ? result.message()
                                                       : "cannot check that the input's layout is unchanged: " + result.ToString(),
          now_unix);
  state.MarkDirty(*job);
}

Status CheckInputLayout(const rpc::JobSpec& spec, Env* env) {
  if (spec.input_layout().empty()) return Status::OK();
  ASSIGN_OR_RETURN(std::unique_ptr<InputFormat> input, InputFormat::ForJob(spec, env));
  return input->CheckLayout(spec.input_layout());
}

void ApplyFinishResult(ClusterState& state, const FinishWork& w, const Status& result, double now_unix) {
  Job& job = *w.job;
  state.MarkDirty(job);
  job.end_unix = now_unix;
  if (!w.commit) {
    if (!result.ok()) spdlog::warn("job {}: cleaning up output failed: {}", job.id, result.ToString());
    // Only now is the job over for clients: nothing of it is left in the output.
    job.SetPhase(job.phase == JobPhase::kFailing ? JobPhase::kFailed : JobPhase::kCancelled);
    return;
  }
  if (result.ok()) {
    job.SetPhase(JobPhase::kSucceeded);
    spdlog::info("job {} succeeded; output in {}", job.id, job.output->Describe());
  } else {
    job.SetPhase(JobPhase::kFailed);
    job.error = ToValidUtf8("committing the output failed: " + result.ToString());
    spdlog::error("job {}: {}", job.id, job.error);
  }
}

}  // namespace aviary::coordinator
