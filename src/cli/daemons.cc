// `aviary coordinator` and `aviary worker`: long-running processes that stop cleanly on
// SIGTERM or SIGINT.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <climits>
#include <iostream>
#include <thread>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/process.h"
#include "coordinator/server.h"
#include "worker/worker_daemon.h"

namespace aviary::cli {
namespace {

// Blocks SIGTERM/SIGINT in every thread and runs `on_signal` on a dedicated thread when one
// arrives. Must be called before any other thread starts.
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
    on_signal();
  });
}

}  // namespace

int RunCoordinator(const CoordinatorFlags& flags) {
  coordinator::TrackerOptions options;
  options.worker_timeout_us = static_cast<int64_t>(flags.worker_timeout_s * 1e6);
  options.attempt_timeout_us = static_cast<int64_t>(flags.task_timeout_s * 1e6);
  options.max_attempts = flags.max_attempts;
  std::unique_ptr<coordinator::MetadataStore> store;
  if (!flags.metadata.empty()) {
    StatusOr<std::unique_ptr<coordinator::MetadataStore>> opened = coordinator::MetadataStore::OpenMongo(flags.metadata);
    if (!opened.ok()) return Fail(opened.status().WithContext("opening --metadata"));
    store = std::move(opened).value();
  }
  coordinator::LeaseOptions lease;
  lease.lease_timeout_us = static_cast<int64_t>(flags.lease_timeout_s * 1e6);
  coordinator::CoordinatorServer server(Env::Default(), options, std::move(store), lease);
  std::thread watcher = WatchSignals([&server] { server.Stop(); });
  watcher.detach();
  Status s = server.Start(flags.listen);
  if (!s.ok()) return Fail(s);
  std::cout << "coordinator listening on " << server.address() << std::endl;
  server.Wait();
  return kExitOk;
}

int RunWorker(const WorkerFlags& flags) {
  if (flags.exit_with_parent) ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  worker::WorkerOptions options;
  options.coordinator = flags.coordinator;
  options.listen = flags.listen;
  options.data_dir = flags.data_dir;
  options.slots = flags.slots;
  options.memory_bytes = flags.memory_mb << 20;
  options.location = flags.shard;  // --shard-uri is accepted but not needed: splits say where to read
  options.stall_timeout_us = static_cast<int64_t>(flags.task_timeout_s * 1e6);
  options.runner_exe = SelfExePath();
  worker::WorkerDaemon daemon(Env::Default(), options);
  std::thread watcher = WatchSignals([&daemon] { daemon.Stop(); });
  watcher.detach();
  Status s = daemon.Start();
  if (!s.ok()) return Fail(s);
  std::cout << "worker serving map outputs on " << daemon.address() << std::endl;
  s = daemon.Run();
  if (!s.ok()) return Fail(s.WithContext("cannot register with coordinator " + flags.coordinator));
  return kExitOk;
}

}  // namespace aviary::cli
