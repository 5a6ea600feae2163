// aviary: one binary for every role (coordinator, worker, client, local runner, task runner).
#include <CLI/CLI.hpp>
#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cli/cluster_cli.h"
#include "cli/commands.h"
#include "rpc/grpc_util.h"
#include "storage/registry.h"
#include "worker/task_runner.h"

namespace aviary::cli {
namespace {

void AddJobFlags(CLI::App* cmd, JobFlags* f) {
  cmd->add_option("JOB", f->job, "built-in job name (wordcount, indexer) or path of a plugin .so")->required();
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
  option("out-mode", &f->output_options, "MongoDB output: replace, merge or reduce")->default_str("replace");
  cmd->add_flag("--overwrite", f->overwrite, "replace an existing result in the output directory");
  cmd->add_option("--max-attempts", f->max_attempts, "attempts per task before the job fails (default 4)");
  cmd->add_flag("--skip-bad-records", f->skip_bad_records, "count and skip malformed input records");
  cmd->add_flag("--json", f->json, "print the final job status as JSON");
}

// Reads the cluster secret from --secret-file or AVIARY_SECRET; never logs it.
bool LoadSecret(const std::string& secret_file) {
  rpc::TransportOptions transport;
  if (!secret_file.empty()) {
    std::ifstream in(secret_file);
    if (!in) {
      std::cerr << "aviary: cannot read secret file " << secret_file << std::endl;
      return false;
    }
    std::getline(in, transport.secret);
    if (transport.secret.empty()) {
      std::cerr << "aviary: secret file " << secret_file << " is empty" << std::endl;
      return false;
    }
  } else if (const char* env = std::getenv("AVIARY_SECRET")) {
    transport.secret = env;
  }
  rpc::SetTransportOptions(transport);
  // Task runners (child processes) fetch shuffle data and must present the same secret.
  if (!transport.secret.empty()) ::setenv("AVIARY_SECRET", transport.secret.c_str(), 1);
  return true;
}

int Main(int argc, char** argv) {
  // The task runner is started by workers only; keep its path free of CLI parsing surprises.
  if (argc == 4 && std::string(argv[1]) == "task-runner" && std::string(argv[2]) == "--work-dir") {
    if (!LoadSecret("")) return kExitUsage;
    return worker::TaskRunnerMain(argv[3]);
  }

  CLI::App app{"Aviary: MapReduce next to your MongoDB shards"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "aviary 0.1.0");
  std::string log_level = "info";
  std::string secret_file;
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  app.add_option("--secret-file", secret_file, "file holding the cluster secret (or set AVIARY_SECRET)");

  CoordinatorFlags coord;
  auto* coord_cmd = app.add_subcommand("coordinator", "run the coordinator");
  coord_cmd->add_option("--listen", coord.listen, "HOST:PORT to serve on")->required();
  coord_cmd->add_option("--worker-timeout", coord.worker_timeout_s, "seconds without heartbeat before a worker is dead")->capture_default_str();
  coord_cmd->add_option("--task-timeout", coord.task_timeout_s, "seconds without progress before an attempt is re-issued")->capture_default_str();
  coord_cmd->add_option("--max-attempts", coord.max_attempts, "default attempts per task")->capture_default_str();
  coord_cmd->add_option("--metadata", coord.metadata, "mongodb://HOST:PORT/DB keeping the coordinator's state; enables standbys");
  coord_cmd->add_option("--lease-timeout", coord.lease_timeout_s, "seconds before a standby takes over a silent leader")->capture_default_str();

  WorkerFlags worker;
  auto* worker_cmd = app.add_subcommand("worker", "run a worker");
  worker_cmd->add_option("--coordinator", worker.coordinator, "coordinator HOST:PORT")->required();
  worker_cmd->add_option("--listen", worker.listen, "HOST:PORT for the shuffle service")->required();
  worker_cmd->add_option("--data-dir", worker.data_dir, "directory for map outputs and spills")->required();
  worker_cmd->add_option("--slots", worker.slots, "tasks run at once")->capture_default_str()->check(CLI::Range(1, 1024));
  worker_cmd->add_option("--memory", worker.memory_mb, "memory budget in MB shared by the slots")->capture_default_str()->check(CLI::Range(1, 1 << 24));
  worker_cmd->add_option("--shard", worker.shard, "name of the shard this worker sits next to");
  worker_cmd->add_option("--shard-uri", worker.shard_uri, "MongoDB URI of that shard");
  worker_cmd->add_option("--task-timeout", worker.task_timeout_s, "seconds without progress before an attempt is killed")->capture_default_str();
  worker_cmd->add_flag("--exit-with-parent", worker.exit_with_parent)->group("");

  JobFlags submit_job;
  std::string coordinator;
  bool wait = false;
  auto* submit_cmd = app.add_subcommand("submit", "submit a job to a running cluster");
  AddJobFlags(submit_cmd, &submit_job);
  submit_cmd->add_option("--coordinator", coordinator, "coordinator HOST:PORT")->required();
  submit_cmd->add_flag("--wait", wait, "wait for the job to end; exit 0 only if it succeeded");

  std::string job_id;
  bool json = false;
  bool tasks = false;
  auto* status_cmd = app.add_subcommand("status", "show one job, or all jobs");
  status_cmd->add_option("JOB_ID", job_id, "job id (default: all jobs)");
  status_cmd->add_option("--coordinator", coordinator, "coordinator HOST:PORT")->required();
  status_cmd->add_flag("--json", json, "print JSON");
  status_cmd->add_flag("--tasks", tasks, "list tasks and their attempts");

  auto* cancel_cmd = app.add_subcommand("cancel", "cancel a job");
  cancel_cmd->add_option("JOB_ID", job_id, "job id")->required();
  cancel_cmd->add_option("--coordinator", coordinator, "coordinator HOST:PORT")->required();

  auto* workers_cmd = app.add_subcommand("workers", "list the workers registered with a coordinator");
  workers_cmd->add_option("--coordinator", coordinator, "coordinator HOST:PORT")->required();
  workers_cmd->add_flag("--json", json, "print JSON");

  JobFlags run_job;
  LocalFlags local;
  auto* run_cmd = app.add_subcommand("run", "run one job on a private local cluster");
  AddJobFlags(run_cmd, &run_job);
  run_cmd->add_option("--workers", local.workers, "worker processes")->capture_default_str()->check(CLI::Range(1, 256));
  run_cmd->add_option("--slots", local.slots, "task slots per worker")->capture_default_str()->check(CLI::Range(1, 1024));
  run_cmd->add_option("--memory", local.memory_mb, "memory budget per worker in MB")->capture_default_str()->check(CLI::Range(1, 1 << 24));
  run_cmd->add_option("--task-timeout", local.task_timeout_s, "seconds without progress before an attempt is killed")->capture_default_str();
  run_cmd->add_flag("--keep-temp", local.keep_temp, "keep the workers' data directories");

  const ClusterCommandRunner run_cluster_command = AddClusterCommands(&app);  // cluster, load, demo

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  auto level = spdlog::level::from_str(log_level);
  spdlog::set_default_logger(spdlog::stderr_color_mt("aviary"));
  spdlog::set_level(level);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%P] %v");
  if (!LoadSecret(secret_file)) return kExitUsage;

  if (*coord_cmd) return RunCoordinator(coord);
  if (*worker_cmd) return RunWorker(worker);
  if (*submit_cmd) return Submit(submit_job, coordinator, wait);
  if (*status_cmd) return ShowStatus(job_id, coordinator, json, tasks);
  if (*cancel_cmd) return Cancel(job_id, coordinator);
  if (*workers_cmd) return ShowWorkers(coordinator, json);
  if (*run_cmd) {
    spdlog::set_level(log_level == "info" ? spdlog::level::warn : level);  // keep `run` output clean
    return RunLocal(run_job, local);
  }
  if (int rc = run_cluster_command(log_level, secret_file); rc >= 0) return rc;
  return kExitUsage;
}

}  // namespace
}  // namespace aviary::cli

int main(int argc, char** argv) { return aviary::cli::Main(argc, argv); }
