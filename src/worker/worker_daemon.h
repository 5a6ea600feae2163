// The worker daemon: registers with the coordinator, heartbeats, runs assigned attempts as task
// processes, serves its map outputs to reducers, and deletes a job's files once the job ended.
//
// Thread safety: Run() owns the main loop; Stop() may be called from any thread.
#ifndef AVIARY_WORKER_WORKER_DAEMON_H_
#define AVIARY_WORKER_WORKER_DAEMON_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "client/coordinator_pool.h"
#include "common/env.h"
#include "worker/task_zygote.h"
#include "common/status.h"
#include "rpc/aviary.grpc.pb.h"
#include "rpc/channel_factory.h"
#include "worker/shuffle_service.h"
#include "worker/task_process.h"
#include "worker/worker_metrics.h"

namespace aviary::worker {

struct WorkerOptions {
  std::string coordinator;          // HOST:PORT, or several comma-separated (active + standbys)
  std::string listen = "127.0.0.1:0";
  std::string advertise_host;       // host part others use to reach us; default: listen's host
  std::string data_dir;
  uint32_t slots = 1;
  uint64_t memory_bytes = 1ull << 30;  // shared by all slots
  std::string location;             // where this worker sits (the shard next to it), if anywhere
  int64_t stall_timeout_us = 30'000'000;
  int64_t register_timeout_us = 30'000'000;  // give up at startup if the coordinator never answers
  std::string runner_exe;           // the aviary binary that runs `task-runner`
  uint32_t cpu_limit_seconds = 0;   // per attempt; 0: none
  // This process is a child subreaper (PR_SET_CHILD_SUBREAPER): every child of it that is not a
  // running task process was left behind by an ended attempt and is killed. Off in tests that
  // run the daemon inside a process with children of its own.
  bool reap_orphans = false;
  // Task processes are forked from a pre-started copy of runner_exe (task_zygote.h) instead of
  // exec'd. Needs reap_orphans (the subreaper); without a working fork server, exec'd as before.
  bool fork_server = true;
};


class WorkerDaemon {
 public:
  // `channels` (which must outlive the daemon) reaches the coordinators.
  WorkerDaemon(Env* env, WorkerOptions options, rpc::ChannelFactory* channels = rpc::ChannelFactory::Default());
  ~WorkerDaemon();

  // Prepares the data dir and starts the shuffle server. Fails if the port cannot be bound.
  Status Start();
  // Registers and serves until Stop(). Returns an error if the coordinator cannot be reached
  // at startup within the register timeout.
  Status Run();
  void Stop() { stopping_ = true; }
  // A fork server started before the daemon (TaskZygote::ForkFromHere), used by Run() instead of
  // starting one, if options allow a fork server at all.
  void UseForkServer(std::unique_ptr<TaskZygote> zygote) { zygote_ = std::move(zygote); }
  const std::string& address() const { return address_; }
  // The worker's /metrics text. Safe from any thread once Start() succeeded.
  std::string MetricsText() const;

 private:
  using AttemptKey = std::tuple<std::string, int, uint32_t, uint32_t>;  // job, kind, task, attempt

  Status Register(int64_t deadline_us);
  bool HeartbeatOnce();
  void WaitForHeartbeat();  // polls the running tasks until one finishes or a beat is due
  void WaitForAttempts(int64_t timeout_us);  // until one may need a look, or `timeout_us` passes
  void Launch(rpc::TaskSpec spec);
  // The local path of the job's plugin: fetched from the coordinator by hash on first use and
  // cached in DATA_DIR/plugins; refused if its SHA-256 differs from the job's.
  StatusOr<std::string> EnsurePlugin(const rpc::JobSpec& job);
  bool PollTasks();  // true if a task finished
  // Notes the split claims running map attempts made (split_claims.h); true if there is a new one.
  bool CollectClaims();
  void AddClaims(rpc::HeartbeatRequest* request) const;
  void HandOutGrants(const rpc::HeartbeatResponse& response);
  void KillAll(const std::string& why);
  Status DropMapOutputs();
  void SweepOrphans();
  void StartForkServer();
  void DeleteJob(const std::string& job_id);
  static AttemptKey KeyOf(const rpc::TaskSpec& spec);

  Env* env_;
  WorkerOptions options_;
  std::string address_;
  std::string worker_id_;
  uint32_t heartbeat_ms_ = 100;
  std::atomic<bool> stopping_{false};
  int64_t last_heartbeat_us_ = 0;
  std::unique_ptr<ShuffleService> shuffle_;
  std::unique_ptr<grpc::Server> server_;
  rpc::Coordinator::Stub& coordinator() { return coordinators_->current(); }
  const std::string& coordinator_address() const { return coordinators_->current_address(); }

  rpc::ChannelFactory* const channels_;  // not owned
  // Set by Start(); the worker moves on to the next one after a failure or a stale answer.
  std::unique_ptr<client::CoordinatorPool> coordinators_;
  uint64_t max_term_ = 0;  // highest coordinator term seen; older terms are ignored (fencing)
  std::map<AttemptKey, std::unique_ptr<TaskProcess>> running_;
  std::unique_ptr<TaskZygote> zygote_;  // null: task processes are exec'd
  std::map<AttemptKey, int64_t> started_us_;  // when each running attempt was launched
  struct Claims {
    uint32_t answered = 0;  // claims whose grant was handed to the attempt
    bool open = false;      // claim answered + 1 was made, and goes out with every heartbeat until answered
  };
  std::map<AttemptKey, Claims> claims_;  // of running map attempts that may claim splits
  std::unique_ptr<WorkerMetrics> metrics_;    // set by Start()
  std::vector<rpc::TaskResult> finished_;  // waiting to be acknowledged by a heartbeat
  std::set<std::string> verified_plugins_;  // hashes whose cached file was checked in this life
};

}  // namespace aviary::worker

#endif  // AVIARY_WORKER_WORKER_DAEMON_H_
