// The coordinator process: a gRPC front for JobTracker plus the thread that ticks it.
//
// Thread safety: Start/Stop from one thread; RPCs run on gRPC's threads.
#ifndef AVIARY_COORDINATOR_SERVER_H_
#define AVIARY_COORDINATOR_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "common/env.h"
#include "common/status.h"
#include "coordinator/job_tracker.h"

namespace aviary::coordinator {

class CoordinatorServer {
 public:
  CoordinatorServer(Env* env, TrackerOptions options);
  ~CoordinatorServer();

  // Binds `listen` (HOST:PORT; port 0 picks a free one) and starts serving.
  Status Start(const std::string& listen);
  // The address clients should use, e.g. "127.0.0.1:40123". REQUIRES: Start() succeeded.
  const std::string& address() const { return address_; }
  JobTracker& tracker() { return *tracker_; }
  // Blocks until Stop() is called from another thread or a signal handler path.
  void Wait();
  void Stop();

 private:
  class Service;

  Env* env_;
  std::unique_ptr<JobTracker> tracker_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::atomic<bool> stopping_{false};
  std::thread ticker_;
};

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_SERVER_H_
