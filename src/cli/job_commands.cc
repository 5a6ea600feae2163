// submit, status, cancel, and the job flags they share with `run`.
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "plugin/plugin.h"
#include "rpc/grpc_util.h"
#include "storage/registry.h"

namespace aviary::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded: return kExitUnavailable;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAlreadyExists:
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated: return kExitUsage;
    default: return kExitJobFailed;
  }
}

int Fail(const Status& status) {
  std::cerr << "aviary: " << status.message() << std::endl;
  return ExitCodeFor(status);
}

StatusOr<rpc::SubmitJobRequest> BuildSubmission(const JobFlags& flags) {
  rpc::SubmitJobRequest request;
  rpc::JobSpec& spec = *request.mutable_job();
  ASSIGN_OR_RETURN(std::string plugin_path, ResolvePlugin(flags.job));
  RETURN_IF_ERROR(ReadFileToString(Env::Default(), plugin_path, request.mutable_plugin_library()));
  // Load it here so a library that is not a plugin fails before anything is submitted.
  ASSIGN_OR_RETURN(auto plugin, Plugin::Open(plugin_path));
  const bool builtin = flags.job.find('/') == std::string::npos && !flags.job.ends_with(".so");
  spec.set_plugin(builtin ? flags.job : plugin_path);
  spec.set_name(std::string(plugin->name()));
  ASSIGN_OR_RETURN(std::string sha256, Sha256File(plugin_path));
  spec.set_plugin_sha256(sha256);
  if (flags.input.empty()) return InvalidArgument("--input is required");
  if (flags.output.empty()) return InvalidArgument("--output is required");
  // Each kind makes its URI mean on the cluster what it means here (files: paths become absolute).
  const FormatRegistry& formats = FormatRegistry::Default();
  spec.set_input_uri(formats.ClientUri(flags.input));
  spec.set_output_uri(formats.ClientUri(flags.output));
  spec.set_map_tasks(flags.map_tasks);
  spec.set_reduce_tasks(flags.reduce_tasks);
  for (const std::string& p : flags.params) {
    const size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) return InvalidArgument("--param '" + p + "' is not of the form name=value");
    (*spec.mutable_params())[p.substr(0, eq)] = p.substr(eq + 1);
  }
  *spec.mutable_input_options() = {flags.input_options.begin(), flags.input_options.end()};
  *spec.mutable_output_options() = {flags.output_options.begin(), flags.output_options.end()};
  RETURN_IF_ERROR(formats.CheckJobOptions(spec));
  spec.set_overwrite(flags.overwrite);
  spec.set_max_attempts(flags.max_attempts);
  spec.set_skip_bad_records(flags.skip_bad_records);
  return request;
}

int ReportFinishedJob(CoordinatorClient& client, const rpc::JobStatus& job, bool json) {
  const bool inline_result = job.spec().inline_output() && job.state() == rpc::SUCCEEDED;
  if (inline_result) {
    // stdout carries the result itself; the summary goes to stderr.
    Status s = client.ReadOutput(job.job_id(), stdout);
    if (!s.ok()) return Fail(s.WithContext("reading the inline result"));
    std::cerr << (json ? ToJson(job) + "\n" : DescribeJob(job, false));
  } else if (json) {
    std::cout << ToJson(job) << std::endl;
  } else {
    std::cout << DescribeJob(job, false);
  }
  if (job.state() == rpc::SUCCEEDED) return kExitOk;
  if (!json) std::cerr << "aviary: job " << job.job_id() << " " << (job.state() == rpc::CANCELLED ? "was cancelled" : "failed") << ": " << job.error() << std::endl;
  return kExitJobFailed;
}

int Submit(const JobFlags& flags, const std::string& coordinator, bool wait) {
  StatusOr<rpc::SubmitJobRequest> submission = BuildSubmission(flags);
  if (!submission.ok()) return Fail(submission.status());
  // gRPC would refuse it with a bare "Sent message larger than max": say what is too large.
  if (const size_t bytes = submission->ByteSizeLong(); bytes > static_cast<size_t>(rpc::kMaxMessageBytes)) {
    return Fail(InvalidArgument("the job is too large to submit: " + std::to_string(bytes >> 20) + " MiB (plugin library " +
                                std::to_string(submission->plugin_library().size() >> 20) + " MiB, parameters and spec " +
                                std::to_string((bytes - submission->plugin_library().size()) >> 20) +
                                " MiB); a message to the coordinator may be at most " +
                                std::to_string(rpc::kMaxMessageBytes >> 20) + " MiB"));
  }
  CoordinatorClient client(coordinator);
  StatusOr<std::string> id = client.Submit(*submission);
  if (!id.ok()) return Fail(id.status());
  if (!wait) {
    std::cout << *id << std::endl;
    return kExitOk;
  }
  std::cerr << "submitted " << *id << std::endl;
  StatusOr<rpc::JobStatus> job = client.Wait(*id, /*show_progress=*/true);
  if (!job.ok()) return Fail(job.status().WithContext("waiting for job " + *id));
  return ReportFinishedJob(client, *job, flags.json);
}

int ShowStatus(const std::string& job_id, const std::string& coordinator, bool json, bool tasks) {
  CoordinatorClient client(coordinator);
  if (!job_id.empty()) {
    StatusOr<rpc::JobStatus> job = client.GetJob(job_id, tasks || json);
    if (!job.ok()) return Fail(job.status());
    std::cout << (json ? ToJson(*job) + "\n" : DescribeJob(*job, tasks));
    return kExitOk;
  }
  StatusOr<std::vector<rpc::JobStatus>> jobs = client.ListJobs();
  if (!jobs.ok()) return Fail(jobs.status());
  if (json) {
    rpc::ListJobsResponse all;
    for (const auto& j : *jobs) *all.add_jobs() = j;
    std::cout << ToJson(all) << std::endl;
    return kExitOk;
  }
  if (jobs->empty()) std::cout << "no jobs" << std::endl;
  for (const auto& j : *jobs) std::cout << DescribeJob(j, false);
  return kExitOk;
}

int Cancel(const std::string& job_id, const std::string& coordinator) {
  CoordinatorClient client(coordinator);
  Status s = client.Cancel(job_id);
  if (!s.ok()) return Fail(s);
  std::cout << "cancelled " << job_id << std::endl;
  return kExitOk;
}

int ShowWorkers(const std::string& coordinator, bool json) {
  CoordinatorClient client(coordinator);
  StatusOr<rpc::ClusterStatusResponse> cluster = client.ClusterStatus();
  if (!cluster.ok()) return Fail(cluster.status());
  if (json) {
    std::cout << ToJson(*cluster) << std::endl;
    return kExitOk;
  }
  for (const rpc::WorkerInfo& w : cluster->workers()) {
    std::cout << w.worker_id() << "  " << w.address() << "  slots=" << w.slots() << "  "
              << (w.alive() ? "alive" : "dead") << (w.shard().empty() ? "" : "  shard=" + w.shard()) << "\n";
  }
  return kExitOk;
}

}  // namespace aviary::cli
