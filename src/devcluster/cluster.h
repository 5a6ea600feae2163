// A local sharded cluster in one directory: K shard servers and a config server (each an
// aviary-shardserver, i.e. embedded FerretDB), a coordinator, and one worker next to each shard,
// all detached daemons whose pids and ports are recorded in DIR/cluster.json.
//
//   DIR/cluster.json      what runs where (see cluster_state.h)
//   DIR/shards/shardN/    shard N's data          DIR/config/     the config server's data
//   DIR/workers/N/        worker N's map outputs  DIR/logs/*.log  every process's stdout+stderr
#ifndef AVIARY_DEVCLUSTER_CLUSTER_H_
#define AVIARY_DEVCLUSTER_CLUSTER_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "devcluster/cluster_state.h"
#include "common/status.h"

namespace aviary::devcluster {

struct ClusterUpOptions {
  int shards = 0;           // 0: as before in this directory, 2 for a new cluster
  int base_port = 0;        // every port of the cluster, consecutive (see AssignPorts); 0: free ports
  uint32_t slots = 2;       // task slots per worker
  uint64_t memory_mb = 1024;
  std::string log_level = "info";
  std::string secret_file;  // handed on to the coordinator and workers
};

// One local cluster, as this process starts, inspects or stops it. Holds an exclusive lock on
// DIR/.lock from Open() to destruction, so two commands never work on one directory at once.
//
// Thread safety: Stop() may run on a signal-handling thread while Up() runs on another; Up() then
// starts nothing more and fails with Cancelled. Other methods: one thread at a time.
class LocalCluster {
 public:
  // Locks DIR and reads DIR/cluster.json if present. With `create`, creates DIR if needed;
  // without, NotFound when DIR holds no cluster. FailedPrecondition when another aviary command
  // holds the lock.
  static StatusOr<std::unique_ptr<LocalCluster>> Open(const std::string& dir, bool create);
  ~LocalCluster();  // releases the lock; stops nothing

  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // True when DIR/cluster.json exists (a cluster was started here before).
  bool exists() const { return exists_; }
  // Starts every process, waits until each is ready (shard servers answer, workers are
  // registered) and records the shards in config.shards. Reuses the data of an earlier cluster
  // in DIR. AlreadyExists when a process of this directory's cluster still runs. On failure,
  // stops whatever it started.
  Status Up(const ClusterUpOptions& options);
  // Stops every recorded process: SIGTERM, then SIGKILL after 10 s. Data stays. Returns how many
  // were running.
  StatusOr<int> Stop();

  ClusterState state() const;
  const std::string& dir() const { return dir_; }

 private:
  LocalCluster(std::string dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}

  Status CheckNothingRuns() const;
  Status PlanLayout(const ClusterUpOptions& options);
  Status AssignPorts(const ClusterUpOptions& options);
  Status StartServers();
  Status StartCoordinator(const ClusterUpOptions& options);
  Status StartWorkers(const ClusterUpOptions& options);
  Status WaitForWorkers();
  Status StartGateway(const ClusterUpOptions& options);
  Status RegisterShards();
  // Spawns `argv` logging to `log` and records it via `record`, unless Stop() has begun.
  StatusOr<ProcessRef> Spawn(const std::vector<std::string>& argv, const std::string& log, DaemonRecord* record);
  Status Save() const;

  const std::string dir_;
  const int lock_fd_;
  bool exists_ = false;
  mutable std::mutex mu_;
  ClusterState state_;     // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
};

// Path of the aviary-shardserver binary (next to this executable), or FailedPrecondition saying
// how to build it.
StatusOr<std::string> ShardServerPath();

}  // namespace aviary::devcluster

#endif  // AVIARY_DEVCLUSTER_CLUSTER_H_
