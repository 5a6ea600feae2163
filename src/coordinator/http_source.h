// The coordinator as the web UI's StatusSource (http/status_source.h): reads the active tracker.
#ifndef AVIARY_COORDINATOR_HTTP_SOURCE_H_
#define AVIARY_COORDINATOR_HTTP_SOURCE_H_

#include "coordinator/server.h"
#include "http/status_source.h"

namespace aviary::coordinator {

class HttpStatusSource final : public http::StatusSource {
 public:
  explicit HttpStatusSource(CoordinatorServer* server) : server_(server) {}  // borrowed

  StatusOr<std::vector<rpc::JobStatus>> Jobs(bool with_tasks) override;
  StatusOr<rpc::JobStatus> Job(const std::string& job_id) override;
  StatusOr<rpc::ClusterStatusResponse> Workers() override;
  Status Cancel(const std::string& job_id) override;
  StatusOr<std::vector<rpc::TaskLog>> TaskLogs(const std::string& job_id) override;
  http::Leadership Leader() override;
  double NowUnix() override;

 private:
  StatusOr<std::shared_ptr<JobTracker>> Active();
  CoordinatorServer* const server_;
};

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_HTTP_SOURCE_H_
