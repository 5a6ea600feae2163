// `aviary run`: the whole system in one command. Starts a private coordinator in this process
// and N worker processes on loopback, runs one job, and stops everything.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <spdlog/spdlog.h>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/process.h"
#include "coordinator/server.h"

extern char** environ;

namespace aviary::cli {
namespace {

StatusOr<pid_t> SpawnWorker(const std::string& coordinator, const std::string& data_dir, const LocalFlags& local) {
  std::vector<std::string> args = {SelfExePath(), "--log-level", "warn", "worker", "--coordinator", coordinator, "--listen", "127.0.0.1:0",
                                   "--data-dir", data_dir, "--slots", std::to_string(local.slots), "--memory",
                                   std::to_string(local.memory_mb), "--task-timeout",
                                   std::to_string(local.task_timeout_s), "--exit-with-parent"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Internal(std::string("cannot start a worker: ") + std::strerror(rc));
  return pid;
}

// The workers are private to this run and their state is thrown away with `root`, so there is
// nothing for an orderly shutdown to save: a kill ends them at once (their task processes follow
// through PR_SET_PDEATHSIG), where a graceful stop could wait on gRPC's teardown.
void StopWorkers(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) ::kill(pid, SIGKILL);
  for (pid_t pid : pids) ::waitpid(pid, nullptr, 0);
}

}  // namespace

int RunLocal(const JobFlags& flags, const LocalFlags& local) {
  if (local.workers == 0) return Fail(InvalidArgument("--workers must be at least 1"));
  StatusOr<rpc::SubmitJobRequest> submission = BuildSubmission(flags);
  if (!submission.ok()) return Fail(submission.status());

  char tmpl[] = "/tmp/aviary-run-XXXXXX";
  const char* tmp_root = ::mkdtemp(tmpl);
  if (tmp_root == nullptr) return Fail(Internal("cannot create a temporary directory under /tmp"));
  const std::string root = tmp_root;

  coordinator::TrackerOptions options;
  options.attempt_timeout_us = static_cast<int64_t>(local.task_timeout_s * 1e6) * 2;
  // Workers on loopback: frequent heartbeats are cheap, and a task waits for the next one to be
  // assigned and to report back; at 100 ms that is most of a small job's time.
  options.heartbeat_ms = 20;
  options.tick_us = 10'000;  // commits the finished job (and lets Stop() return) sooner
  coordinator::CoordinatorServer server(Env::Default(), options);
  Status s = server.Start("127.0.0.1:0");
  if (!s.ok()) return Fail(s);

  std::vector<pid_t> workers;
  int code = kExitOk;
  for (uint32_t i = 0; i < local.workers && code == kExitOk; ++i) {
    StatusOr<pid_t> pid = SpawnWorker(server.address(), root + "/worker-" + std::to_string(i), local);
    if (!pid.ok()) code = Fail(pid.status());
    else workers.push_back(*pid);
  }
  // Wait for the workers to register so the default reduce count sees all their slots.
  for (int i = 0; i < 1000 && code == kExitOk; ++i) {
    if (server.tracker()->ClusterStatus().workers_size() >= static_cast<int>(local.workers)) break;
    ::usleep(5'000);
  }
  if (code == kExitOk) {
    StatusOr<std::string> id = server.Submit(*submission);
    if (!id.ok()) {
      code = Fail(id.status());
    } else {
      CoordinatorClient client(server.address());
      StatusOr<rpc::JobStatus> job = client.Wait(*id, /*show_progress=*/!flags.json, /*poll_ms=*/10);
      code = job.ok() ? ReportFinishedJob(client, *job, flags.json) : Fail(job.status());
    }
  }
  StopWorkers(workers);
  server.Stop();
  if (!local.keep_temp) {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
  return code;
}

}  // namespace aviary::cli
