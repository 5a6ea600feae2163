// `aviary cluster up|down|status` (a local sharded cluster in one directory, see
// devcluster/cluster.h), `aviary load` (loader/load.h) and `aviary demo` (demo/demo.h).
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "demo/demo.h"
#include "devcluster/cluster.h"
#include "devcluster/cluster_status.h"
#include "devcluster/process.h"
#include "loader/load.h"

namespace aviary::cli {
namespace {

using devcluster::ClusterState;
using devcluster::CoordinatorRecord;
using devcluster::LocalCluster;
using devcluster::WorkerRecord;

struct ClusterFlags {
  std::string dir;
  int shards = 0;  // 0: as before in the directory, 2 for a new cluster
  int base_port = 0;
  uint32_t slots = 2;
  uint64_t memory_mb = 1024;
  bool json = false;
};

struct LoadFlags {
  std::string input;
  std::string into;  // mongodb://ENTRY/DB.COLL
  std::string shard_key;
  bool hashed = false;
  uint32_t chunks = 0;  // 0: two per shard
};

std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  return path.empty() ? path : std::filesystem::absolute(path, ec).string();
}

void PrintStarted(const ClusterState& state, double seconds) {
  std::string out = fmt::format("cluster up in {} ({} shards, {:.1f} s)\n", state.dir, state.shards.size(), seconds);
  out += fmt::format("  gateway      {}  clients connect here: a sharded cluster as behind mongos (pid {})\n",
                     state.gateway.uri(), state.gateway.proc.pid);
  out += fmt::format("  entry        {}  config server (pid {})\n", state.entry_uri(), state.config.proc.pid);
  for (const CoordinatorRecord& c : state.coordinators) {
    out += fmt::format("  coordinator  {}  web UI {} (pid {})\n", c.address(), c.http_url(), c.proc.pid);
  }
  for (size_t i = 0; i < state.shards.size(); ++i) {
    const WorkerRecord& w = state.workers[i];
    out += fmt::format("  {:<12} {}  worker {} (pids {}, {})\n", state.shards[i].name, state.shards[i].uri(), w.address,
                       state.shards[i].proc.pid, w.proc.pid);
  }
  out += fmt::format("  logs         {}/logs\n", state.dir);
  out += fmt::format("so that --coordinator need not be typed:\n  export AVIARY_COORDINATOR={}\n", state.CoordinatorAddresses());
  std::cerr << out;
}

int ClusterUpCommand(const ClusterFlags& flags, const std::string& log_level, const std::string& secret_file) {
  StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Open(flags.dir, /*create=*/true);
  if (!cluster.ok()) return Fail(cluster.status());
  LocalCluster* raw = cluster->get();
  devcluster::InterruptHandler interrupt([raw](int) {
    std::cerr << "aviary: interrupted; stopping the processes started in " << raw->dir() << std::endl;
    (void)raw->Stop();
  });
  devcluster::ClusterUpOptions options;
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
  StatusOr<ClusterState> state = devcluster::LoadClusterState(abs);
  if (!state.ok()) return Fail(state.status());
  const nlohmann::ordered_json status = devcluster::ClusterStatusJson(*state);
  std::cout << (json ? status.dump(2) + "\n" : devcluster::DescribeClusterStatus(status));
  return status["running"].get<bool>() ? kExitOk : kExitUnavailable;
}

int LoadCommand(const LoadFlags& flags) {
  StatusOr<loader::DocumentSet> docs = loader::ReadDocuments(flags.input);
  if (!docs.ok()) return Fail(docs.status());
  const loader::LoadOptions options{flags.into, flags.shard_key, flags.hashed, flags.chunks};
  StatusOr<loader::LoadReport> report = loader::LoadDocuments(options, *docs);
  if (!report.ok()) return Fail(report.status());  // its messages say what and where
  std::cout << loader::DescribeLoad(*report, options, flags.input);
  return kExitOk;
}

int DemoCommand(demo::DemoOptions options, const GlobalFlags& global) {
  options.log_level = global.log_level;
  options.secret_file = global.secret_file;
  std::string cluster_dir;
  const Status s = demo::RunDemo(options, &cluster_dir);
  if (s.ok()) return kExitOk;
  if (cluster_dir.empty()) return Fail(s);
  std::cerr << "aviary demo: " << s.message() << "\n  logs: " << cluster_dir << "/logs" << std::endl;
  return ExitCodeFor(s);
}

}  // namespace

Adapter DefineCluster(CLI::App* cluster) {
  auto f = std::make_shared<ClusterFlags>();
  cluster->require_subcommand(1);
  CLI::App* up = cluster->add_subcommand("up", "start K shard servers, a config server, two coordinators (active + standby) and a worker per shard");
  up->add_option("--dir", f->dir, "the cluster's directory (data, logs, cluster.json)")->required();
  up->add_option("--shards", f->shards, "number of shards (default: as before in DIR, else 2)")->check(CLI::Range(1, 64));
  up->add_option("--base-port", f->base_port,
                 "first of K+6 consecutive ports (shards, config server, two coordinators, gateway, two web UIs); default: free ports")
      ->check(CLI::Range(1024, 65535));
  up->add_option("--slots", f->slots, "task slots per worker")->capture_default_str()->check(CLI::Range(1, 1024));
  up->add_option("--memory", f->memory_mb, "memory budget per worker in MB")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 24));
  CLI::App* down = cluster->add_subcommand("down", "stop every process of the cluster; the data stays");
  down->add_option("--dir", f->dir, "the cluster's directory")->required();
  CLI::App* status = cluster->add_subcommand("status", "show the cluster's processes and whether they run");
  status->add_option("--dir", f->dir, "the cluster's directory")->required();
  status->add_flag("--json", f->json, "print JSON");
  return [f, up, down](const GlobalFlags& global) {
    if (*up) return ClusterUpCommand(*f, global.log_level, global.secret_file);
    if (*down) return ClusterDownCommand(f->dir);
    return ClusterStatusCommand(f->dir, f->json);
  };
}

Adapter DefineLoad(CLI::App* cmd) {
  auto f = std::make_shared<LoadFlags>();
  cmd->add_option("--input", f->input, "*.jsonl/*.json (a document a line), *.bson (mongodump), or text")->required();
  cmd->add_option("--into", f->into, "mongodb://ENTRY/DB.COLL (ENTRY: the cluster's entry, as `cluster up` printed)")
      ->required();
  cmd->add_option("--shard-key", f->shard_key, "top-level field to shard by")->required();
  cmd->add_flag("--hashed", f->hashed, "shard by the hashed value of the field");
  cmd->add_option("--chunks", f->chunks, "number of chunks (default: 2 per shard)")->check(CLI::Range(1, 100000));
  return [f](const GlobalFlags& global) {
    QuietLogs(global);
    return LoadCommand(*f);
  };
}

Adapter DefineDemo(CLI::App* cmd) {
  auto f = std::make_shared<demo::DemoOptions>();
  cmd->add_option("--dir", f->dir, "cluster directory (default: a new one under /tmp)");
  cmd->add_option("--shards", f->shards, "number of shards")->capture_default_str()->check(CLI::Range(1, 16));
  return [f](const GlobalFlags& global) {
    QuietLogs(global);
    return DemoCommand(*f, global);
  };
}

}  // namespace aviary::cli
