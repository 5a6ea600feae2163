// Client side of the coordinator protocol, as the CLI uses it: submit, poll, print.
#ifndef AVIARY_CLI_CLIENT_H_
#define AVIARY_CLI_CLIENT_H_

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "rpc/aviary.grpc.pb.h"

namespace aviary::cli {

// Talks to whichever of the given coordinators is active: `addresses` is "HOST:PORT" or a
// comma-separated list; a call that meets a standby or an unreachable one tries the next.
class CoordinatorClient {
 public:
  explicit CoordinatorClient(const std::string& addresses);

  StatusOr<std::string> Submit(const rpc::SubmitJobRequest& request);
  StatusOr<rpc::JobStatus> GetJob(const std::string& job_id, bool with_tasks);
  StatusOr<std::vector<rpc::JobStatus>> ListJobs();
  Status Cancel(const std::string& job_id);
  StatusOr<rpc::ClusterStatusResponse> ClusterStatus();
  // Copies a finished inline job's result (JSON lines) to `out`.
  Status ReadOutput(const std::string& job_id, std::FILE* out);

  // Polls until the job ends, showing progress on stderr. Returns the final status; the job's
  // own failure is in its state, not in the returned Status (which reports lost contact).
  StatusOr<rpc::JobStatus> Wait(const std::string& job_id, bool show_progress, int poll_ms = 100);

 private:
  // Runs `call(stub, context)` against the coordinators in turn until one that is active answers.
  template <typename Call>
  Status Invoke(std::chrono::milliseconds timeout, Call&& call);

  std::string address_;  // all addresses, for messages
  std::vector<std::string> addresses_;
  std::vector<std::unique_ptr<rpc::Coordinator::Stub>> stubs_;
  size_t current_ = 0;
};

bool IsFinal(rpc::JobState state);
// Multi-line human summary of a finished (or running) job.
std::string DescribeJob(const rpc::JobStatus& job, bool with_tasks);
std::string ToJson(const google::protobuf::Message& message);

}  // namespace aviary::cli

#endif  // AVIARY_CLI_CLIENT_H_
