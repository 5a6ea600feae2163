// `aviary coordinator` and `aviary worker`: long-running processes that stop cleanly on
// SIGTERM or SIGINT.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <climits>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "common/listen_policy.h"
#include "coordinator/defaults.h"
#include "coordinator/http_source.h"
#include "coordinator/server.h"
#include "http/http_server.h"
#include "rpc/grpc_util.h"
#include "devcluster/process.h"
#include "worker/task_process.h"
#include "worker/task_zygote.h"
#include "worker/worker_daemon.h"

namespace aviary::cli {
namespace {

// How long a clean stop may take after SIGTERM/SIGINT before the process exits anyway.
constexpr int kStopGraceSeconds = 10;

// Blocks SIGTERM/SIGINT in every thread and runs `on_signal` on a thread of its own when one
// arrives. A stop must end the process even when an RPC handler is stuck (in a system call on a
// file, on a hung peer): if it has not returned within kStopGraceSeconds, or a second signal
// comes, the process exits at once with status 1. State that matters is in the metadata store
// or is redone, as after a crash. Must be called before any other thread starts.
std::thread WatchSignals(std::function<void()> on_signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return std::thread([set, on_signal = std::move(on_signal)] {
    int sig = 0;
    sigwait(&set, &sig);
    spdlog::info("received signal {}; shutting down", sig);
    std::thread(on_signal).detach();
    const timespec grace{kStopGraceSeconds, 0};
    siginfo_t info;
    const int again = sigtimedwait(&set, &info, &grace);
    spdlog::error("{}; exiting without a clean shutdown",
                  again > 0 ? "second signal received" : "shutdown not done after " + std::to_string(kStopGraceSeconds) + " s");
    spdlog::default_logger()->flush();
    ::_exit(1);
  });
}

struct CoordinatorFlags {
  std::string listen = "127.0.0.1:7470";
  std::string metadata;  // mongodb://HOST:PORT/DB: durable state and leader election
  double lease_timeout_s = 3;
  double worker_timeout_s = 5;
  double job_retention_s = 24 * 3600;
  double dead_worker_retention_s = 600;
  double task_timeout_s = 30;
  uint32_t max_attempts = coordinator::kDefaultMaxAttempts;
  double carry_splits_mb = static_cast<double>(coordinator::TrackerOptions().max_carried_bytes >> 20);
  std::string shuffle_compression = "auto";  // auto, lz4 or none
  std::string http;  // HOST:PORT of the web UI and /metrics; empty: none
  std::string data_dir;  // private spools; empty: a per-process directory (common/private_dir.h)
  bool insecure = false;  // serve a network address without authentication
};

struct WorkerFlags {
  std::string coordinator;
  std::string listen = "127.0.0.1:0";
  std::string data_dir;
  uint32_t slots = 1;
  uint64_t memory_mb = 1024;
  std::string shard;
  std::string shard_uri;
  double task_timeout_s = 30;
  uint32_t task_cpu_limit_s = 0;
  bool exit_with_parent = false;
  std::string http;  // HOST:PORT of /metrics; empty: none
  bool insecure = false;
};

constexpr const char* kHowToSecureRpc = "Set a cluster secret (--secret-file or AVIARY_SECRET) or mutual TLS (--tls-cert, --tls-key, --tls-ca)";

// Who the gRPC services of this process can tell apart from strangers: a caller must hold the
// secret, or a certificate the CA signed (a certificate without a CA authenticates only us).
std::string RpcAuthentication() {
  const rpc::TransportOptions& t = rpc::GetTransportOptions();
  const bool mtls = !t.tls_ca.empty() && !t.tls_cert.empty();
  if (!t.secret.empty() && mtls) return "the cluster secret and mutual TLS";
  if (!t.secret.empty()) return "the cluster secret";
  return mtls ? "mutual TLS" : "";
}

// The web UI shows jobs to anyone and changes them (cancel) only with the secret: mutual TLS,
// which HTTP here does not speak, protects nothing of it.
Status CheckHttpListen(const std::string& listen, bool insecure) {
  const std::string& secret = rpc::GetTransportOptions().secret;
  return CheckListen(listen,
                     {"web UI", secret.empty() ? "" : "the cluster secret (for cancelling; pages are readable by all)",
                      "Set a cluster secret (--secret-file or AVIARY_SECRET)"},
                     insecure);
}

int RunCoordinator(const CoordinatorFlags& flags) {
  coordinator::TrackerOptions options;
  options.worker_timeout_us = static_cast<int64_t>(flags.worker_timeout_s * 1e6);
  options.job_retention_us = static_cast<int64_t>(flags.job_retention_s * 1e6);
  options.dead_worker_retention_us = static_cast<int64_t>(flags.dead_worker_retention_s * 1e6);
  options.attempt_timeout_us = static_cast<int64_t>(flags.task_timeout_s * 1e6);
  options.max_attempts = flags.max_attempts;
  options.max_carried_bytes = static_cast<uint64_t>(flags.carry_splits_mb * (1 << 20));
  options.shuffle_compression = flags.shuffle_compression == "lz4"    ? coordinator::ShuffleCompression::kLz4
                                : flags.shuffle_compression == "none" ? coordinator::ShuffleCompression::kNone
                                                                      : coordinator::ShuffleCompression::kAuto;
  options.data_dir = flags.data_dir;
  std::unique_ptr<coordinator::MetadataStore> store;
  if (!flags.metadata.empty()) {
    StatusOr<std::unique_ptr<coordinator::MetadataStore>> opened = coordinator::MetadataStore::OpenMongo(flags.metadata);
    if (!opened.ok()) return Fail(opened.status().WithContext("opening --metadata"));
    store = std::move(opened).value();
  }
  if (Status s = CheckListen(flags.listen, {"coordinator RPC", RpcAuthentication(), kHowToSecureRpc}, flags.insecure);
      !s.ok()) {
    return Fail(s);
  }
  if (!flags.http.empty()) {
    if (Status s = CheckHttpListen(flags.http, flags.insecure); !s.ok()) return Fail(s);
  }
  coordinator::LeaseOptions lease;
  lease.lease_timeout_us = static_cast<int64_t>(flags.lease_timeout_s * 1e6);
  coordinator::CoordinatorServer server(Env::Default(), options, std::move(store), lease);
  std::thread watcher = WatchSignals([&server] { server.Stop(); });
  watcher.detach();
  Status s = server.Start(flags.listen);
  if (!s.ok()) return Fail(s);
  coordinator::HttpStatusSource source(&server);
  std::unique_ptr<http::HttpServer> web;
  if (!flags.http.empty()) {
    web = http::HttpServer::ForCoordinator(&source, http::DaemonHttpOptions(flags.http, /*with_secret=*/true));
    if (Status h = web->Start(); !h.ok()) return Fail(h);
  }
  std::cout << "coordinator listening on " << server.address() << std::endl;
  if (web) std::cout << "web UI at " << web->url() << std::endl;
  server.Wait();
  if (web) web->Stop();
  return kExitOk;
}

// Forked by PrestartWorkerForkServer; null: the daemon starts one, exec'd.
std::unique_ptr<worker::TaskZygote>& PrestartedForkServer() {
  static auto* zygote = new std::unique_ptr<worker::TaskZygote>();
  return *zygote;
}

int RunWorker(const WorkerFlags& flags) {
  if (flags.exit_with_parent) ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  // Containment (docs/reliability.md): processes an attempt leaves behind become our children, to
  // be killed; and task processes (same user) cannot read our memory or /proc/PID/environ.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ::prctl(PR_SET_DUMPABLE, 0);
  if (Status s = CheckListen(flags.listen, {"worker's shuffle service", RpcAuthentication(), kHowToSecureRpc}, flags.insecure);
      !s.ok()) {
    return Fail(s);
  }
  // /metrics is read-only; it may be on the network when the worker's RPC is authenticated.
  if (!flags.http.empty()) {
    if (Status s = CheckListen(flags.http, {"worker's /metrics", RpcAuthentication(), kHowToSecureRpc}, flags.insecure);
        !s.ok()) {
      return Fail(s);
    }
  }
  worker::WorkerOptions options;
  options.coordinator = flags.coordinator;
  options.listen = flags.listen;
  options.data_dir = flags.data_dir;
  options.slots = flags.slots;
  options.memory_bytes = flags.memory_mb << 20;
  options.location = flags.shard;  // --shard-uri is accepted but not needed: splits say where to read
  options.stall_timeout_us = static_cast<int64_t>(flags.task_timeout_s * 1e6);
  options.runner_exe = devcluster::SelfExePath();
  options.cpu_limit_seconds = flags.task_cpu_limit_s;
  options.reap_orphans = true;
  worker::WorkerDaemon daemon(Env::Default(), options);
  if (PrestartedForkServer()) daemon.UseForkServer(std::move(PrestartedForkServer()));
  std::thread watcher = WatchSignals([&daemon] { daemon.Stop(); });
  watcher.detach();
  Status s = daemon.Start();
  if (!s.ok()) return Fail(s);
  std::unique_ptr<http::HttpServer> web;
  if (!flags.http.empty()) {
    web = http::HttpServer::ForMetrics([&daemon] { return daemon.MetricsText(); },
                                       http::DaemonHttpOptions(flags.http, /*with_secret=*/false));
    if (Status h = web->Start(); !h.ok()) return Fail(h);
  }
  std::cout << "worker serving map outputs on " << daemon.address() << std::endl;
  if (web) std::cout << "metrics at " << web->url() << "/metrics" << std::endl;
  s = daemon.Run();
  if (!s.ok()) return Fail(s.WithContext("cannot register with coordinator " + flags.coordinator));
  return kExitOk;
}

}  // namespace

Adapter DefineCoordinator(CLI::App* cmd) {
  auto f = std::make_shared<CoordinatorFlags>();
  cmd->add_option("--listen", f->listen, "HOST:PORT to serve on (PORT alone: on 127.0.0.1)")
      ->capture_default_str()
      ->transform([](std::string v) { return ListenOnLoopbackByDefault(v); });
  AddInsecureFlag(cmd, &f->insecure);
  cmd->add_option("--worker-timeout", f->worker_timeout_s, "seconds without heartbeat before a worker is dead")->capture_default_str();
  cmd->add_option("--task-timeout", f->task_timeout_s, "seconds without progress before an attempt is re-issued")->capture_default_str();
  cmd->add_option("--max-attempts", f->max_attempts, "default attempts per task")->capture_default_str();
  cmd->add_option("--carry-splits-mb", f->carry_splits_mb,
                  "MiB of input a map attempt may read: its own split and the idle ones it claims as it goes "
                  "(0: one split per attempt; fractions allowed)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1024.0 * 1024.0));
  cmd->add_option("--shuffle-compression", f->shuffle_compression,
                  "LZ4 for map outputs: lz4, none, or auto (lz4 unless every worker has the same host)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "lz4", "none"}));
  cmd->add_option("--metadata", f->metadata, "mongodb://HOST:PORT/DB keeping the coordinator's state; enables standbys");
  cmd->add_option("--http", f->http, "HOST:PORT for the web UI, JSON API and /metrics (e.g. 127.0.0.1:7480)");
  cmd->add_option("--data-dir", f->data_dir,
                  "private directory (0700, ours, not a symlink) for inline results and plugins; "
                  "default: a fresh one under $XDG_RUNTIME_DIR/aviary or /tmp/aviary-UID, removed at exit");
  cmd->add_option("--lease-timeout", f->lease_timeout_s, "seconds before a standby takes over a silent leader")->capture_default_str();
  cmd->add_option("--job-retention", f->job_retention_s,
                  "seconds a finished job stays listed before it is dropped with its spools (0: forever)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--dead-worker-retention", f->dead_worker_retention_s,
                  "seconds a dead worker stays in the worker list (0: forever)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  return [f](const GlobalFlags&) { return RunCoordinator(*f); };
}

void PrestartWorkerForkServer() {
  StatusOr<std::unique_ptr<worker::TaskZygote>> zygote =
      worker::TaskZygote::ForkFromHere(worker::TaskSecretVariables());
  if (zygote.ok()) PrestartedForkServer() = std::move(zygote).value();
}

Adapter DefineWorker(CLI::App* cmd) {
  auto f = std::make_shared<WorkerFlags>();
  AddCoordinatorOption(cmd, &f->coordinator);
  cmd->add_option("--listen", f->listen, "HOST:PORT for the shuffle service (PORT alone: on 127.0.0.1)")
      ->capture_default_str()
      ->transform([](std::string v) { return ListenOnLoopbackByDefault(v); });
  AddInsecureFlag(cmd, &f->insecure);
  cmd->add_option("--data-dir", f->data_dir, "directory for map outputs and spills")->required();
  cmd->add_option("--slots", f->slots, "tasks run at once")->capture_default_str()->check(CLI::Range(1, 1024));
  cmd->add_option("--memory", f->memory_mb, "memory budget in MB shared by the slots")->capture_default_str()->check(CLI::Range(1, 1 << 24));
  cmd->add_option("--shard", f->shard, "name of the shard this worker sits next to");
  cmd->add_option("--shard-uri", f->shard_uri, "MongoDB URI of that shard");
  cmd->add_option("--task-timeout", f->task_timeout_s, "seconds without progress before an attempt is killed")->capture_default_str();
  cmd->add_option("--task-cpu-limit", f->task_cpu_limit_s, "CPU seconds an attempt may use (0: no limit)")->capture_default_str();
  cmd->add_option("--http", f->http, "HOST:PORT for /metrics");
  cmd->add_flag("--exit-with-parent", f->exit_with_parent)->group("");
  return [f](const GlobalFlags&) { return RunWorker(*f); };
}

}  // namespace aviary::cli
