// The coordinator process: a gRPC front for JobTracker, the thread that ticks it, and, with a
// metadata store, the leadership loop that makes this coordinator active or standby.
//
// Leadership (see metadata_store.h for the lease documents): the active coordinator renews its
// lease every lease_timeout/6 and steps down when it could not renew for lease_timeout/2 or sees
// a newer term. A standby that sees the latest lease unchanged for a whole lease_timeout claims
// the next term, loads the stored state and resumes the jobs. Because the old leader stops
// acting after half the timeout, two coordinators never act at once (clock rates permitting).
// "Stops acting" holds even while a call to the store hangs (a partition from the metadata
// server): tracker() returns null once the last renewal is older than lease_timeout/2, an RPC
// whose lease went stale while it ran answers UNAVAILABLE, and a watchdog that never touches the
// store steps down and fences the tracker so it neither commits nor writes to the store again.
// Every heartbeat carries the highest term a worker has seen; a coordinator that meets a newer
// term steps down at once (fencing).
//
// Thread safety: Start/Stop from one thread; RPCs run on gRPC's threads.
#ifndef AVIARY_COORDINATOR_SERVER_H_
#define AVIARY_COORDINATOR_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/env.h"
#include "common/status.h"
#include "coordinator/job_tracker.h"
#include "coordinator/metadata_store.h"
#include "coordinator/plugin_store.h"
#include "rpc/aviary.pb.h"

namespace aviary::coordinator {

struct LeaseOptions {
  int64_t lease_timeout_us = 3'000'000;
};

class CoordinatorServer {
 public:
  // Without a store the coordinator is active at once and keeps its state in memory only.
  CoordinatorServer(Env* env, TrackerOptions options, std::unique_ptr<MetadataStore> store = nullptr,
                    LeaseOptions lease = {});
  ~CoordinatorServer();

  // Binds `listen` (HOST:PORT; port 0 picks a free one) and starts serving.
  Status Start(const std::string& listen);
  // The address clients should use, e.g. "127.0.0.1:40123". REQUIRES: Start() succeeded.
  const std::string& address() const { return address_; }
  // The active tracker, or null while standby or while the lease is not known to be fresh.
  std::shared_ptr<JobTracker> tracker() const;
  bool active() const { return tracker() != nullptr; }
  // The newest lease term this coordinator has seen in the store, held by it or by another.
  uint64_t observed_term() const { return observed_term_.load(); }
  // Blocks until Stop() is called from another thread.
  void Wait();
  void Stop();
  // Stores the job's plugin library and submits the job to the active tracker.
  StatusOr<std::string> Submit(const rpc::SubmitJobRequest& request);
  PluginStore& plugins() { return *plugins_; }
  // RPCs answered with an error so far, by "Method/CODE" (for /metrics).
  std::map<std::string, uint64_t> RpcErrors() const;
  // Stops acting as the active coordinator (the lease is left to run out).
  void StepDown(const std::string& why);
  // Runs the next tick now (a finished reduce attempt may let a job commit).
  void WakeTicker();

 private:
  class Service;

  void CountRpcError(const char* method, grpc::StatusCode code);
  void TickLoop();
  void SleepUntilTickOrWake();
  void LeadershipLoop();
  // Steps down when the lease was not renewed for lease_timeout/2, even if the leadership loop
  // is stuck in a call to the store.
  void WatchLease();
  bool LeaseFresh() const;
  Status PrepareDataDirs();
  void StepDownLocked(const std::string& why);  // REQUIRES: mu_ held
  void TryTakeOver(uint64_t term);

  Env* env_;
  TrackerOptions options_;  // spool dirs filled in by Start, constant after
  bool owns_data_dir_ = false;  // a default per-process data dir, removed by Stop
  std::unique_ptr<MetadataStore> store_;
  std::unique_ptr<PluginStore> plugins_;
  const LeaseOptions lease_;
  mutable std::mutex mu_;
  std::shared_ptr<JobTracker> tracker_;  // GUARDED_BY(mu_); null while standby
  std::string active_hint_;              // GUARDED_BY(mu_); the active coordinator, if known
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> observed_term_{0};
  std::atomic<int64_t> renewed_at_us_{0};  // when this coordinator last took or renewed its lease
  mutable std::mutex errors_mu_;
  std::map<std::string, uint64_t> rpc_errors_;  // GUARDED_BY(errors_mu_)
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool wake_ = false;  // GUARDED_BY(wake_mu_): a tick was asked for
  std::once_flag stop_once_;  // Stop() may race with the destructor (signal thread vs main)
  std::thread ticker_;
  std::thread leader_;
  std::thread watchdog_;
};

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_SERVER_H_
