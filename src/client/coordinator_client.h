// Client side of the coordinator protocol: submit, poll, cancel, read results, with failover
// between the coordinators of a cluster (see coordinator_pool.h).
#ifndef AVIARY_CLIENT_COORDINATOR_CLIENT_H_
#define AVIARY_CLIENT_COORDINATOR_CLIENT_H_

#include <cstdio>
#include <memory>
#include <csignal>
#include <string>
#include <vector>

#include "client/coordinator_pool.h"
#include "common/status.h"
#include "rpc/aviary.grpc.pb.h"
#include "rpc/channel_factory.h"

namespace aviary::client {

// Talks to whichever of the given coordinators is active: `addresses` is "HOST:PORT" or a
// comma-separated list; a call that meets a standby or an unreachable one tries the next.
//
// Thread safety: one thread at a time.
class CoordinatorClient {
 public:
  // `channels` must outlive the client.
  explicit CoordinatorClient(const std::string& addresses,
                             rpc::ChannelFactory* channels = rpc::ChannelFactory::Default());

  StatusOr<std::string> Submit(const rpc::SubmitJobRequest& request);
  // `hold_ms` > 0: a job that has not ended may be answered only when it ends, or after
  // hold_ms (GetJobRequest.hold_ms).
  StatusOr<rpc::JobStatus> GetJob(const std::string& job_id, bool with_tasks, uint32_t hold_ms = 0);
  StatusOr<std::vector<rpc::JobStatus>> ListJobs();
  Status Cancel(const std::string& job_id);
  StatusOr<rpc::ReadTaskLogsResponse> ReadTaskLogs(const rpc::ReadTaskLogsRequest& request);
  StatusOr<rpc::ClusterStatusResponse> ClusterStatus();
  // Copies a finished inline job's result (JSON lines) to `out`.
  Status ReadOutput(const std::string& job_id, std::FILE* out);

  // Polls until the job ends, showing progress on stderr. Returns the final status; the job's
  // own failure is in its state, not in the returned Status (which reports lost contact).
  // `interrupted` (may be null), once set (e.g. by a SIGINT handler), ends the wait with
  // kCancelled "interrupted"; the job itself is left alone.
  StatusOr<rpc::JobStatus> Wait(const std::string& job_id, bool show_progress, int poll_ms = 100,
                                const volatile std::sig_atomic_t* interrupted = nullptr);

 private:
  std::string address_;  // all addresses, for messages
  CoordinatorPool pool_;
};

}  // namespace aviary::client

#endif  // AVIARY_CLIENT_COORDINATOR_CLIENT_H_
