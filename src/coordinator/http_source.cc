#include "coordinator/http_source.h"

namespace aviary::coordinator {

StatusOr<std::shared_ptr<JobTracker>> HttpStatusSource::Active() {
  std::shared_ptr<JobTracker> t = server_->tracker();
  if (!t) return Unavailable("standby coordinator " + server_->address() + " is not active");
  return t;
}

StatusOr<std::vector<rpc::JobStatus>> HttpStatusSource::Jobs(bool with_tasks) {
  ASSIGN_OR_RETURN(std::shared_ptr<JobTracker> t, Active());
  std::vector<rpc::JobStatus> jobs = t->ListJobs();
  if (!with_tasks) return jobs;
  for (rpc::JobStatus& job : jobs) {
    StatusOr<rpc::JobStatus> full = t->GetJob(job.job_id(), true);
    if (full.ok()) job = std::move(full).value();
  }
  return jobs;
}

StatusOr<rpc::JobStatus> HttpStatusSource::Job(const std::string& job_id) {
  ASSIGN_OR_RETURN(std::shared_ptr<JobTracker> t, Active());
  return t->GetJob(job_id, true);
}

StatusOr<rpc::ClusterStatusResponse> HttpStatusSource::Workers() {
  ASSIGN_OR_RETURN(std::shared_ptr<JobTracker> t, Active());
  return t->ClusterStatus();
}

Status HttpStatusSource::Cancel(const std::string& job_id) {
  ASSIGN_OR_RETURN(std::shared_ptr<JobTracker> t, Active());
  return t->Cancel(job_id);
}

StatusOr<std::vector<rpc::TaskLog>> HttpStatusSource::TaskLogs(const std::string& job_id) {
  ASSIGN_OR_RETURN(std::shared_ptr<JobTracker> t, Active());
  return t->ReadTaskLogs(job_id, TaskLogFilter{});
}

http::Leadership HttpStatusSource::Leader() {
  http::Leadership l;
  std::shared_ptr<JobTracker> t = server_->tracker();
  l.leads = t != nullptr;
  l.term = t ? t->term() : 0;
  l.rpc_errors = server_->RpcErrors();
  return l;
}

double HttpStatusSource::NowUnix() { return static_cast<double>(Env::Default()->NowUnixMicros()) / 1e6; }

}  // namespace aviary::coordinator
