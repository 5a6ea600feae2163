#include "cli/cluster_cli.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "cli/commands.h"

namespace aviary::cli {
namespace {

struct Parsed {
  ClusterFlags cluster;
  bool json = false;
  LoadFlags load;
  DemoFlags demo;
  CLI::App* up = nullptr;
  CLI::App* down = nullptr;
  CLI::App* status = nullptr;
  CLI::App* load_cmd = nullptr;
  CLI::App* demo_cmd = nullptr;
};

void AddClusterSubcommands(CLI::App* app, Parsed* p) {
  auto* cluster = app->add_subcommand("cluster", "start, inspect or stop a local sharded cluster in a directory");
  cluster->require_subcommand(1);
  p->up = cluster->add_subcommand("up", "start K shard servers, a config server, two coordinators (active + standby) and a worker per shard");
  p->up->add_option("--dir", p->cluster.dir, "the cluster's directory (data, logs, cluster.json)")->required();
  p->up->add_option("--shards", p->cluster.shards, "number of shards (default: as before in DIR, else 2)")
      ->check(CLI::Range(1, 64));
  p->up->add_option("--base-port", p->cluster.base_port,
                    "first of K+2 consecutive ports (shards, config server, coordinator); default: free ports")
      ->check(CLI::Range(1024, 65535));
  p->up->add_option("--slots", p->cluster.slots, "task slots per worker")->capture_default_str()->check(CLI::Range(1, 1024));
  p->up->add_option("--memory", p->cluster.memory_mb, "memory budget per worker in MB")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 24));
  p->down = cluster->add_subcommand("down", "stop every process of the cluster; the data stays");
  p->down->add_option("--dir", p->cluster.dir, "the cluster's directory")->required();
  p->status = cluster->add_subcommand("status", "show the cluster's processes and whether they run");
  p->status->add_option("--dir", p->cluster.dir, "the cluster's directory")->required();
  p->status->add_flag("--json", p->json, "print JSON");
}

void AddLoadCommand(CLI::App* app, Parsed* p) {
  p->load_cmd = app->add_subcommand("load", "load a file into a sharded collection of a local cluster");
  p->load_cmd->add_option("--input", p->load.input, "*.jsonl/*.json (a document a line), *.bson (mongodump), or text")
      ->required();
  p->load_cmd->add_option("--into", p->load.into, "mongodb://ENTRY/DB.COLL (ENTRY: the cluster's entry, as `cluster up` printed)")
      ->required();
  p->load_cmd->add_option("--shard-key", p->load.shard_key, "top-level field to shard by")->required();
  p->load_cmd->add_flag("--hashed", p->load.hashed, "shard by the hashed value of the field");
  p->load_cmd->add_option("--chunks", p->load.chunks, "number of chunks (default: 2 per shard)")->check(CLI::Range(1, 100000));
}

void AddDemoCommand(CLI::App* app, Parsed* p) {
  p->demo_cmd = app->add_subcommand("demo", "count the words of the King James Bible on a fresh local 3-shard cluster");
  p->demo_cmd->add_option("--dir", p->demo.dir, "cluster directory (default: a new one under /tmp)");
  p->demo_cmd->add_option("--shards", p->demo.shards, "number of shards")->capture_default_str()->check(CLI::Range(1, 16));
}

// These commands talk to people; the driver's and the client's info lines would only clutter.
void QuietLogs(const std::string& log_level) {
  if (log_level == "info") spdlog::set_level(spdlog::level::warn);
}

}  // namespace

ClusterCommandRunner AddClusterCommands(CLI::App* app) {
  auto p = std::make_shared<Parsed>();
  AddClusterSubcommands(app, p.get());
  AddLoadCommand(app, p.get());
  AddDemoCommand(app, p.get());
  return [p](const std::string& log_level, const std::string& secret_file) {
    if (*p->up) return ClusterUpCommand(p->cluster, log_level, secret_file);
    if (*p->down) return ClusterDownCommand(p->cluster.dir);
    if (*p->status) return ClusterStatusCommand(p->cluster.dir, p->json);
    if (*p->load_cmd) {
      QuietLogs(log_level);
      return LoadCommand(p->load);
    }
    if (*p->demo_cmd) {
      QuietLogs(log_level);
      return DemoCommand(p->demo, log_level, secret_file);
    }
    return -1;
  };
}

}  // namespace aviary::cli
