// submit, status, cancel, workers, and the job flags `submit` shares with `run`.
#include <chrono>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/job_flags.h"
#include "cli/wait_job.h"
#include "client/coordinator_client.h"
#include "client/job_report.h"
#include "client/job_table.h"
#include "client/submission.h"
#include "coordinator/defaults.h"
#include "rpc/grpc_util.h"
#include "rpc/job_states.h"
#include "storage/registry.h"

namespace aviary::cli {

void AddJobFlags(CLI::App* cmd, JobFlags* flags) {
  client::JobOptions* f = &flags->job;
  cmd->add_option("JOB", f->job, "built-in job name (wordcount, indexer, average, javascript) or path of a plugin .so")->required();
  cmd->add_option("--input", f->input, FormatRegistry::Default().InputUsage())->required();
  cmd->add_option("--output", f->output, FormatRegistry::Default().OutputUsage())->required();
  cmd->add_option("--map-tasks", f->map_tasks, "number of map tasks (default: by input size)");
  cmd->add_option("--reduce-tasks", f->reduce_tasks, "number of reduce partitions (default: worker slots)");
  cmd->add_option("--param", f->params, "job parameter name=value, repeatable");
  // Only options the user gives reach the source or sink, which refuses those it does not take.
  auto option = [cmd](const std::string& flag, std::map<std::string, std::string>* to, const std::string& help) {
    return cmd->add_option_function<std::string>("--" + flag, [to, flag](const std::string& v) { (*to)[flag] = v; }, help);
  };
  option("field", &f->input_options, "document field that built-in jobs read")->default_str(std::string(kDefaultTextField));
  option("query", &f->input_options, "MongoDB filter (JSON) applied to the input");
  option("sort", &f->input_options, "MongoDB input: sort (JSON, e.g. '{\"ts\": -1}') that --limit follows");
  option("limit", &f->input_options, "MongoDB input: read only the first N documents (in --sort order; 0: all)");
  option("out-mode", &f->output_options, "MongoDB output: replace, merge or reduce")->default_str("replace");
  cmd->add_flag("--overwrite", f->overwrite, "replace an existing result in the output directory");
  cmd->add_option("--max-attempts", f->max_attempts,
                  "attempts per task before the job fails (default " + std::to_string(coordinator::kDefaultMaxAttempts) + ")");
  cmd->add_flag("--skip-bad-records", f->skip_bad_records, "count and skip malformed input records");
  cmd->add_flag("--json", flags->json, "print the final job status as JSON");
}

int ReportFinishedJob(client::CoordinatorClient& client, const rpc::JobStatus& job, bool json) {
  const bool inline_result = job.spec().inline_output() && job.state() == rpc::SUCCEEDED;
  if (inline_result) {
    // stdout carries the result itself; the summary goes to stderr.
    Status s = client.ReadOutput(job.job_id(), stdout);
    if (!s.ok()) return Fail(s.WithContext("reading the inline result"));
    std::cerr << (json ? client::ToJson(job) + "\n" : client::DescribeJob(job, false));
  } else if (json) {
    std::cout << client::ToJson(job) << std::endl;
  } else {
    std::cout << client::DescribeJob(job, false);
  }
  if (job.state() == rpc::SUCCEEDED) return kExitOk;
  if (!json) std::cerr << "aviary: job " << job.job_id() << " " << (job.state() == rpc::CANCELLED ? "was cancelled" : "failed") << ": " << job.error() << std::endl;
  return kExitJobFailed;
}

namespace {

int Submit(const JobFlags& flags, const std::string& coordinator, bool wait) {
  StatusOr<rpc::SubmitJobRequest> submission = client::BuildSubmission(flags.job);
  if (!submission.ok()) return Fail(submission.status());
  // gRPC would refuse it with a bare "Sent message larger than max": say what is too large.
  if (const size_t bytes = submission->ByteSizeLong(); bytes > static_cast<size_t>(rpc::kMaxMessageBytes)) {
    return Fail(InvalidArgument("the job is too large to submit: " + std::to_string(bytes >> 20) + " MiB (plugin library " +
                                std::to_string(submission->plugin_library().size() >> 20) + " MiB, parameters and spec " +
                                std::to_string((bytes - submission->plugin_library().size()) >> 20) +
                                " MiB); a message to the coordinator may be at most " +
                                std::to_string(rpc::kMaxMessageBytes >> 20) + " MiB"));
  }
  client::CoordinatorClient client(coordinator);
  StatusOr<std::string> id = client.Submit(*submission);
  if (!id.ok()) return Fail(id.status());
  if (!wait) {
    std::cout << *id << std::endl;
    return kExitOk;
  }
  std::cerr << "submitted " << *id << std::endl;
  StatusOr<rpc::JobStatus> job = WaitForJob(client, *id, {.coordinator = coordinator});
  if (!job.ok() && job.status().message() == "detached") return kExitInterrupted;
  if (!job.ok()) return Fail(job.status().WithContext("waiting for job " + *id));
  return ReportFinishedJob(client, *job, flags.json);
}

int ShowStatus(const std::string& job_id, const std::string& coordinator, bool json, bool tasks) {
  client::CoordinatorClient client(coordinator);
  if (!job_id.empty()) {
    StatusOr<rpc::JobStatus> job = client.GetJob(job_id, tasks || json);
    if (!job.ok()) return Fail(job.status());
    std::cout << (json ? client::ToJson(*job) + "\n" : client::DescribeJob(*job, tasks));
    return kExitOk;
  }
  StatusOr<std::vector<rpc::JobStatus>> jobs = client.ListJobs();
  if (!jobs.ok()) return Fail(jobs.status());
  if (json) {
    rpc::ListJobsResponse all;
    for (const auto& j : *jobs) *all.add_jobs() = j;
    std::cout << client::ToJson(all) << std::endl;
    return kExitOk;
  }
  if (jobs->empty()) std::cout << "no jobs" << std::endl;
  for (const auto& j : *jobs) std::cout << client::DescribeJob(j, false);
  return kExitOk;
}

int Cancel(const std::string& job_id, const std::string& coordinator) {
  client::CoordinatorClient client(coordinator);
  Status s = client.Cancel(job_id);
  if (!s.ok()) return Fail(s);
  std::cout << "cancelled " << job_id << std::endl;
  return kExitOk;
}

int ShowWorkers(const std::string& coordinator, bool json) {
  client::CoordinatorClient client(coordinator);
  StatusOr<rpc::ClusterStatusResponse> cluster = client.ClusterStatus();
  if (!cluster.ok()) return Fail(cluster.status());
  if (json) {
    std::cout << client::ToJson(*cluster) << std::endl;
    return kExitOk;
  }
  for (const rpc::WorkerInfo& w : cluster->workers()) {
    std::cout << w.worker_id() << "  " << w.address() << "  slots=" << w.slots() << "  "
              << (w.alive() ? "alive" : "dead") << (w.shard().empty() ? "" : "  shard=" + w.shard()) << "\n";
  }
  return kExitOk;
}

int ListJobsTable(const client::JobFilter& filter, const std::string& coordinator) {
  if (Status s = client::CheckJobFilter(filter); !s.ok()) return Fail(s);
  client::CoordinatorClient client(coordinator);
  StatusOr<std::vector<rpc::JobStatus>> jobs = client.ListJobs();
  if (!jobs.ok()) return Fail(jobs.status());
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::cout << client::JobTable(std::move(*jobs), filter, now);
  return kExitOk;
}

struct SubmitFlags {
  JobFlags job;
  std::string coordinator;
  bool wait = false;
};

struct JobsFlags {
  client::JobFilter filter;
  std::string coordinator;
};

struct StatusFlags {
  std::string job_id;
  std::string coordinator;
  bool json = false;
  bool tasks = false;
};

}  // namespace

Adapter DefineSubmit(CLI::App* cmd) {
  auto f = std::make_shared<SubmitFlags>();
  AddJobFlags(cmd, &f->job);
  AddCoordinatorOption(cmd, &f->coordinator);
  cmd->add_flag("--wait", f->wait, "wait for the job to end; exit 0 only if it succeeded");
  return [f](const GlobalFlags&) { return Submit(f->job, f->coordinator, f->wait); };
}

Adapter DefineStatus(CLI::App* cmd) {
  auto f = std::make_shared<StatusFlags>();
  cmd->add_option("JOB_ID", f->job_id, "job id (default: all jobs)");
  AddCoordinatorOption(cmd, &f->coordinator);
  cmd->add_flag("--json", f->json, "print JSON");
  cmd->add_flag("--tasks", f->tasks, "list tasks and their attempts");
  return [f](const GlobalFlags&) { return ShowStatus(f->job_id, f->coordinator, f->json, f->tasks); };
}

Adapter DefineCancel(CLI::App* cmd) {
  auto f = std::make_shared<StatusFlags>();
  cmd->add_option("JOB_ID", f->job_id, "job id")->required();
  AddCoordinatorOption(cmd, &f->coordinator);
  return [f](const GlobalFlags&) { return Cancel(f->job_id, f->coordinator); };
}

Adapter DefineWorkers(CLI::App* cmd) {
  auto f = std::make_shared<StatusFlags>();
  AddCoordinatorOption(cmd, &f->coordinator);
  cmd->add_flag("--json", f->json, "print JSON");
  return [f](const GlobalFlags&) { return ShowWorkers(f->coordinator, f->json); };
}

Adapter DefineJobs(CLI::App* cmd) {
  auto f = std::make_shared<JobsFlags>();
  AddCoordinatorOption(cmd, &f->coordinator);
  cmd->add_option("--state", f->filter.state, "only jobs in this state: " + rpc::StateFilterChoices() +
                                                 " (running: not ended; default: all)");
  cmd->add_option("--limit", f->filter.limit, "show at most N jobs (default: all)");
  return [f](const GlobalFlags&) { return ListJobsTable(f->filter, f->coordinator); };
}

}  // namespace aviary::cli
