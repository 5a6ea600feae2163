// What the coordinator's web UI reads and the one thing it may do (cancel). The coordinator
// implements it (coordinator/http_source.h); tests can hand the server any other source.
//
// Thread safety: implementations must allow calls from the HTTP server's threads.
#ifndef AVIARY_HTTP_STATUS_SOURCE_H_
#define AVIARY_HTTP_STATUS_SOURCE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "rpc/aviary.pb.h"

namespace aviary::http {

struct Leadership {
  bool leads = false;  // this coordinator is the active one
  uint64_t term = 0;   // its lease term (0 without a metadata store or while standby)
  std::map<std::string, uint64_t> rpc_errors;  // "Method/CODE" -> calls answered with an error
};

class StatusSource {
 public:
  virtual ~StatusSource() = default;
  // Every job, in submission order; with_tasks fills their tasks and attempts.
  // Unavailable on a standby coordinator.
  virtual StatusOr<std::vector<rpc::JobStatus>> Jobs(bool with_tasks) = 0;
  virtual StatusOr<rpc::JobStatus> Job(const std::string& job_id) = 0;  // with tasks
  virtual StatusOr<rpc::ClusterStatusResponse> Workers() = 0;
  virtual Status Cancel(const std::string& job_id) = 0;
  // Every attempt's task log of the job (coordinator/task_logs.h), by kind, task and attempt.
  virtual StatusOr<std::vector<rpc::TaskLog>> TaskLogs(const std::string& job_id) = 0;
  virtual Leadership Leader() = 0;
  virtual double NowUnix() = 0;
};

}  // namespace aviary::http

#endif  // AVIARY_HTTP_STATUS_SOURCE_H_
