// The private cluster of `aviary run`: a coordinator in this process and N worker processes on
// loopback, with their data in a temporary directory; all of it ends with the object.
//
// Thread safety: one thread at a time.
#ifndef AVIARY_DEVCLUSTER_PRIVATE_CLUSTER_H_
#define AVIARY_DEVCLUSTER_PRIVATE_CLUSTER_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "coordinator/server.h"
#include "rpc/aviary.pb.h"

namespace aviary::devcluster {

struct PrivateClusterOptions {
  uint32_t workers = 2;
  uint32_t slots = 1;  // per worker
  uint64_t memory_mb = 1024;  // per worker
  double task_timeout_s = 30;
  bool keep_temp = false;  // keep the workers' data directories
  // Flags placed before `worker` on a forked worker's command line (worker_forks.h): the
  // --secret-file and --tls-* this process was given, so that it reads the same files.
  std::vector<std::string> transport_args;
};

class PrivateCluster {
 public:
  // Starts the coordinator and the workers (this executable's `worker` command) without
  // waiting for them to register: jobs are planned for the slots they will bring.
  static StatusOr<std::unique_ptr<PrivateCluster>> Start(const PrivateClusterOptions& options);
  // Kills the workers, stops the coordinator and removes the data (unless keep_temp). Once;
  // the destructor calls it too.
  void Shutdown();
  ~PrivateCluster() { Shutdown(); }

  PrivateCluster(const PrivateCluster&) = delete;
  PrivateCluster& operator=(const PrivateCluster&) = delete;

  const std::string& address() const { return server_.address(); }
  coordinator::CoordinatorServer& server() { return server_; }
  // Submits straight to the in-process coordinator.
  StatusOr<std::string> Submit(const rpc::SubmitJobRequest& request) { return server_.Submit(request); }

 private:
  PrivateCluster(PrivateClusterOptions options, std::string root);
  Status StartWorkers();

  const PrivateClusterOptions options_;
  const std::string root_;
  coordinator::CoordinatorServer server_;
  std::vector<pid_t> workers_;
  bool shut_down_ = false;
};

}  // namespace aviary::devcluster

#endif  // AVIARY_DEVCLUSTER_PRIVATE_CLUSTER_H_
