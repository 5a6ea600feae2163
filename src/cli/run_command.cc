// `aviary run`: the whole system in one command, on a private cluster (devcluster/private_cluster.h).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <future>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/job_flags.h"
#include "cli/wait_job.h"
#include "client/coordinator_client.h"
#include "client/submission.h"
#include "coordinator/http_source.h"
#include "devcluster/private_cluster.h"
#include "devcluster/worker_forks.h"
#include "http/http_server.h"
#include "rpc/grpc_util.h"

namespace aviary::cli {
namespace {

struct RunFlags {
  JobFlags job;
  devcluster::PrivateClusterOptions local;
  std::string http = "127.0.0.1:0";  // the web UI of the private coordinator; "": none
};

int RunLocal(const JobFlags& flags, const devcluster::PrivateClusterOptions& local, const std::string& http_listen) {
  if (local.workers == 0) return Fail(InvalidArgument("--workers must be at least 1"));
  // The submission is built (the input listed, the plugin checked in a child process) while the
  // cluster's processes start: neither needs the other, and each takes tens of milliseconds. The
  // workers are started by this thread, which outlives them: their PR_SET_PDEATHSIG follows the
  // thread that spawned them. Bad input is still reported as such; the cluster is torn down unused.
  std::future<StatusOr<rpc::SubmitJobRequest>> building =
      std::async(std::launch::async, [&flags] { return client::BuildSubmission(flags.job); });
  StatusOr<std::unique_ptr<devcluster::PrivateCluster>> cluster = devcluster::PrivateCluster::Start(local);
  StatusOr<rpc::SubmitJobRequest> submission = building.get();
  if (!submission.ok()) return Fail(submission.status());
  if (!cluster.ok()) return Fail(cluster.status());
  coordinator::HttpStatusSource source(&(*cluster)->server());
  std::unique_ptr<http::HttpServer> web;
  if (!http_listen.empty()) {
    web = http::HttpServer::ForCoordinator(&source, http::DaemonHttpOptions(http_listen, /*with_secret=*/true));
    if (Status h = web->Start(); !h.ok()) return Fail(h);
    std::cerr << "web UI at " << web->url() << std::endl;
  }
  StatusOr<std::string> id = (*cluster)->Submit(*submission);
  if (!id.ok()) return Fail(id.status());
  client::CoordinatorClient client((*cluster)->address());
  bool interrupted = false;
  // The default poll (100 ms): each poll is held until the job ends, so its end is seen at once.
  WaitOptions wait{.show_progress = !flags.json, .on_interrupt = OnInterrupt::kCancel,
                   .coordinator = (*cluster)->address(), .interrupted = &interrupted};
  StatusOr<rpc::JobStatus> job = WaitForJob(client, *id, wait);
  if (!job.ok()) return Fail(job.status());
  const int code = ReportFinishedJob(client, *job, flags.json);
  // Reported: nothing is left but the private cluster. Once it is shut down (its processes
  // killed and reaped, its files removed) the process leaves without its own teardown, which
  // joins gRPC's server threads and runs every destructor for 5-8 ms and leaves nothing that
  // the exit does not clear.
  web.reset();
  (*cluster)->Shutdown();
  std::cout.flush();
  std::fflush(nullptr);
  spdlog::default_logger()->flush();
  std::_Exit(interrupted ? kExitInterrupted : code);
}

// The flags of this process's `run`, once DefineRun has declared them (PrestartRunWorkers).
std::shared_ptr<RunFlags>& DeclaredRunFlags() {
  static auto* flags = new std::shared_ptr<RunFlags>();
  return *flags;
}

// The global flags that name files a worker must read itself (devcluster/worker_forks.h).
std::vector<std::string> TransportArgs(const GlobalFlags& global) {
  std::vector<std::string> args;
  for (const auto& [flag, value] : {std::pair<const char*, const std::string&>{"--secret-file", global.secret_file},
                                    {"--tls-cert", global.tls_cert},
                                    {"--tls-key", global.tls_key},
                                    {"--tls-ca", global.tls_ca}}) {
    if (!value.empty()) args.insert(args.end(), {flag, value});
  }
  return args;
}

}  // namespace

void PrestartRunWorkers(devcluster::WorkerEntry entry) {
  if (const std::shared_ptr<RunFlags>& flags = DeclaredRunFlags(); flags && flags->local.workers > 0) {
    devcluster::WorkerForks::Start(flags->local.workers, entry);
  }
}

Adapter DefineRun(CLI::App* cmd) {
  auto f = std::make_shared<RunFlags>();
  DeclaredRunFlags() = f;
  AddJobFlags(cmd, &f->job);
  devcluster::PrivateClusterOptions& local = f->local;
  cmd->add_option("--http", f->http, "HOST:PORT of the web UI while the job runs (\"\": none)")->capture_default_str();
  cmd->add_option("--workers", local.workers, "worker processes")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--slots", local.slots, "task slots per worker")->capture_default_str()->check(CLI::Range(1, 1024));
  cmd->add_option("--memory", local.memory_mb, "memory budget per worker in MB")->capture_default_str()->check(CLI::Range(1, 1 << 24));
  cmd->add_option("--task-timeout", local.task_timeout_s, "seconds without progress before an attempt is killed")->capture_default_str();
  cmd->add_flag("--keep-temp", local.keep_temp, "keep the workers' data directories");
  return [f](const GlobalFlags& global) {
    QuietLogs(global);  // keep `run` output clean
    f->local.transport_args = TransportArgs(global);
    return RunLocal(f->job, f->local, f->http);
  };
}

}  // namespace aviary::cli
