// `aviary cluster up|down|status`: a local sharded cluster in one directory (see cluster.h).

#include <chrono>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/cluster.h"
#include "cli/cluster_status.h"
#include "cli/commands.h"

namespace aviary::cli {
namespace {

std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  return path.empty() ? path : std::filesystem::absolute(path, ec).string();
}

void PrintStarted(const ClusterState& state, double seconds) {
  std::string out = fmt::format("cluster up in {} ({} shards, {:.1f} s)\n", state.dir, state.shards.size(), seconds);
  out += fmt::format("  entry        {}  config server (pid {})\n", state.entry_uri(), state.config.proc.pid);
  for (const CoordinatorRecord& c : state.coordinators) {
    out += fmt::format("  coordinator  {}  (pid {})\n", c.address(), c.proc.pid);
  }
  for (size_t i = 0; i < state.shards.size(); ++i) {
    const WorkerRecord& w = state.workers[i];
    out += fmt::format("  {:<12} {}  worker {} (pids {}, {})\n", state.shards[i].name, state.shards[i].uri(), w.address,
                       state.shards[i].proc.pid, w.proc.pid);
  }
  out += fmt::format("  logs         {}/logs\n", state.dir);
  std::cerr << out;
}

}  // namespace

int ClusterUpCommand(const ClusterFlags& flags, const std::string& log_level, const std::string& secret_file) {
  StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Open(flags.dir, /*create=*/true);
  if (!cluster.ok()) return Fail(cluster.status());
  LocalCluster* raw = cluster->get();
  InterruptHandler interrupt([raw](int) {
    std::cerr << "aviary: interrupted; stopping the processes started in " << raw->dir() << std::endl;
    (void)raw->Stop();
  });
  ClusterUpOptions options;
  options.shards = flags.shards;
  options.base_port = flags.base_port;
  options.slots = flags.slots;
  options.memory_mb = flags.memory_mb;
  options.log_level = log_level;
  options.secret_file = AbsolutePath(secret_file);  // the daemons run in DIR
  const auto start = std::chrono::steady_clock::now();
  Status s = (*cluster)->Up(options);
  interrupt.Disarm();  // from here on the cluster is up and stays up
  if (!s.ok()) return Fail(s);
  const ClusterState state = (*cluster)->state();
  PrintStarted(state, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  std::cout << state.entry_uri() << std::endl;
  return kExitOk;
}

int ClusterDownCommand(const std::string& dir) {
  StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Open(dir, /*create=*/false);
  if (!cluster.ok()) return Fail(cluster.status());
  StatusOr<int> stopped = (*cluster)->Stop();
  if (!stopped.ok()) return Fail(stopped.status());
  const std::string& abs = (*cluster)->dir();
  if (*stopped == 0) {
    std::cout << "no process of the cluster in " << abs << " was running" << std::endl;
  } else {
    std::cout << "stopped " << *stopped << " processes of the cluster in " << abs
              << "; its data stays there (`aviary cluster up --dir " << abs << "` starts it again)" << std::endl;
  }
  return kExitOk;
}

int ClusterStatusCommand(const std::string& dir, bool json) {
  // Read-only, so no lock: status works while another command holds the directory.
  std::error_code ec;
  const std::string abs = std::filesystem::weakly_canonical(std::filesystem::absolute(dir, ec), ec).string();
  StatusOr<ClusterState> state = LoadClusterState(abs);
  if (!state.ok()) return Fail(state.status());
  const nlohmann::ordered_json status = ClusterStatusJson(*state);
  std::cout << (json ? status.dump(2) + "\n" : DescribeClusterStatus(status));
  return status["running"].get<bool>() ? kExitOk : kExitUnavailable;
}

}  // namespace aviary::cli
