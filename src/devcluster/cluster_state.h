// What a local cluster is made of, as recorded in DIR/cluster.json: its shard servers, config
// server, coordinators and workers, with their ports, pids and logs. `aviary cluster up` writes
// it as each process starts, `down` and `status` read it.
//
// Thread safety: plain values.
#ifndef AVIARY_DEVCLUSTER_CLUSTER_STATE_H_
#define AVIARY_DEVCLUSTER_CLUSTER_STATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "devcluster/process.h"
#include "common/status.h"

namespace aviary::devcluster {

// A daemon as recorded: pid 0 means not running.
struct DaemonRecord {
  pid_t pid = 0;
  uint64_t start_ticks = 0;
  std::string log;  // path of its log file

  ProcessRef ref() const { return {pid, start_ticks}; }
  void Set(const ProcessRef& p) {
    pid = p.pid;
    start_ticks = p.start_ticks;
  }
};

// One MongoDB-compatible server (aviary-shardserver): a shard or the config server.
struct ServerRecord {
  std::string name;  // "shard0"..., or "config"
  int port = 0;
  std::string data_dir;
  DaemonRecord proc;

  std::string host() const { return "127.0.0.1:" + std::to_string(port); }
  std::string uri() const { return "mongodb://" + host() + "/"; }
};

struct CoordinatorRecord {
  int port = 0;
  int http_port = 0;  // its web UI, JSON API and /metrics
  DaemonRecord proc;

  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
  std::string http_url() const { return http_port > 0 ? "http://127.0.0.1:" + std::to_string(http_port) + "/" : ""; }
};

// The gateway: the cluster's client entry, routing by chunks as mongos would.
struct GatewayRecord {
  int port = 0;
  DaemonRecord proc;

  std::string uri() const { return port > 0 ? "mongodb://127.0.0.1:" + std::to_string(port) + "/" : ""; }
};

struct WorkerRecord {
  std::string shard;
  std::string address;  // shuffle endpoint, known once the worker has started
  std::string data_dir;
  DaemonRecord proc;
};

struct ClusterState {
  std::string dir;  // absolute
  ServerRecord config;
  std::vector<ServerRecord> shards;
  std::vector<CoordinatorRecord> coordinators;
  std::vector<WorkerRecord> workers;
  GatewayRecord gateway;

  // The cluster's entry point (the config server, which plays mongos's part).
  std::string entry_uri() const { return config.uri(); }
  // Every recorded process with a pid, workers first and servers last (the order to stop them).
  std::vector<ProcessRef> Processes() const;
  std::vector<ProcessRef> ServerProcesses() const;
  std::vector<ProcessRef> ComputeProcesses() const;  // coordinators and workers
  // Every coordinator's address, comma-separated, as workers and clients take them.
  std::string CoordinatorAddresses() const;
};

std::string ClusterFile(const std::string& dir);

// Writes DIR/cluster.json atomically.
Status SaveClusterState(const ClusterState& state);
// Reads DIR/cluster.json: NotFound when there is none, InvalidArgument when it is damaged.
StatusOr<ClusterState> LoadClusterState(const std::string& dir);

}  // namespace aviary::devcluster

#endif  // AVIARY_DEVCLUSTER_CLUSTER_STATE_H_
