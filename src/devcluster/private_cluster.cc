#include "devcluster/private_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>

#include "common/subprocess.h"
#include "devcluster/process.h"
#include "devcluster/worker_forks.h"
#include "rpc/grpc_util.h"

namespace aviary::devcluster {
namespace {

coordinator::TrackerOptions CoordinatorOptions(const PrivateClusterOptions& options) {
  coordinator::TrackerOptions tracker;
  tracker.attempt_timeout_us = static_cast<int64_t>(options.task_timeout_s * 1e6) * 2;
  // Heartbeats and ticks keep their defaults (100 ms): no step of a job waits for either. A
  // worker reports an ended attempt or a split claim at once and gets its answer at once, an
  // idle worker's heartbeat is held until there is work for it, and a reduce's end wakes the
  // commit. At 20 ms and 10 ms, the beats and the job polls of `aviary run` took the
  // coordinator and the daemons about a tenth of the CPU the map attempts needed.
  tracker.expected_slots = options.workers * options.slots;
  return tracker;
}

std::vector<std::string> WorkerArgs(const std::string& coordinator, const std::string& data_dir,
                                    const PrivateClusterOptions& options) {
  return {"--log-level", "warn", "worker", "--coordinator", coordinator, "--listen", "127.0.0.1:0",
          "--data-dir", data_dir, "--slots", std::to_string(options.slots), "--memory",
          std::to_string(options.memory_mb), "--task-timeout", std::to_string(options.task_timeout_s),
          "--exit-with-parent"};
}

StatusOr<pid_t> SpawnWorker(const std::vector<std::string>& args) {
  SpawnSpec child;
  child.argv = {SelfExePath()};
  child.argv.insert(child.argv.end(), args.begin(), args.end());
  child.name = "a worker";
  // The secret is never exported by this process: the worker, a daemon of ours, gets it here.
  child.env = EnvironmentWithout({"AVIARY_SECRET"});
  if (const std::string& secret = rpc::GetTransportOptions().secret; !secret.empty()) child.env->push_back("AVIARY_SECRET=" + secret);
  child.Open(1, "/dev/null", O_WRONLY);
  return Spawn(child);
}

}  // namespace

StatusOr<std::unique_ptr<PrivateCluster>> PrivateCluster::Start(const PrivateClusterOptions& options) {
  char tmpl[] = "/tmp/aviary-run-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return Internal("cannot create a temporary directory under /tmp");
  std::unique_ptr<PrivateCluster> cluster(new PrivateCluster(options, tmpl));
  RETURN_IF_ERROR(cluster->server_.Start("127.0.0.1:0"));
  // Not waiting for the workers to register: a job submitted now is planned for the slots they
  // will bring (TrackerOptions::expected_slots), and their first heartbeat brings its tasks.
  RETURN_IF_ERROR(cluster->StartWorkers());
  return cluster;
}

PrivateCluster::PrivateCluster(PrivateClusterOptions options, std::string root)
    : options_(std::move(options)), root_(std::move(root)), server_(Env::Default(), CoordinatorOptions(options_)) {}

// The workers are private to this run and their state is thrown away with the directory, so
// there is nothing for an orderly shutdown to save: a kill ends them at once (their task
// processes follow through PR_SET_PDEATHSIG), where a graceful stop could wait on gRPC's teardown.
void PrivateCluster::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (pid_t pid : workers_) SignalProcess(pid, SIGKILL);
  server_.Stop();  // while the kernel tears the workers down
  for (pid_t pid : workers_) (void)WaitForExit(pid);
  if (!options_.keep_temp) {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
}

Status PrivateCluster::StartWorkers() {
  for (uint32_t i = 0; i < options_.workers; ++i) {
    const std::vector<std::string> args = WorkerArgs(server_.address(), root_ + "/worker-" + std::to_string(i), options_);
    // A forked one reads the secret and the TLS files as this process did (worker_forks.h).
    std::vector<std::string> forked = {SelfExePath()};
    forked.insert(forked.end(), options_.transport_args.begin(), options_.transport_args.end());
    forked.insert(forked.end(), args.begin(), args.end());
    std::optional<pid_t> pid = WorkerForks::Launch(forked);
    if (!pid) {
      StatusOr<pid_t> spawned = SpawnWorker(args);
      if (!spawned.ok()) {
        WorkerForks::DiscardUnused();
        return spawned.status();
      }
      pid = *spawned;
    }
    workers_.push_back(*pid);
  }
  WorkerForks::DiscardUnused();
  return Status::OK();
}

}  // namespace aviary::devcluster
