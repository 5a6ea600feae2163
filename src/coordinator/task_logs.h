// Task logs: what each attempt wrote to stdout and stderr, as its worker kept it (the first and
// last 16 KiB), one file per attempt under DATA_DIR/task-logs/JOB/. They stay as long as their
// job is listed: housekeeping removes them with it. `aviary logs` and the web UI read them.
// Kept by the coordinator that received them: after a takeover, the new leader has the logs of
// the attempts reported to it.
//
// Thread safety: thread-safe (one file per attempt, written by rename).
#ifndef AVIARY_COORDINATOR_TASK_LOGS_H_
#define AVIARY_COORDINATOR_TASK_LOGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "rpc/aviary.pb.h"

namespace aviary::coordinator {

struct TaskLogFilter {
  rpc::TaskKind kind = rpc::TASK_KIND_UNSPECIFIED;  // unspecified: both kinds
  std::optional<uint32_t> task;
  uint32_t attempt = 0;  // 0: every attempt
};

class TaskLogs {
 public:
  // A log longer than this (a worker's is far shorter) keeps its last bytes only.
  static constexpr size_t kMaxBytes = 64 << 10;

  // `dir` empty: logs are not kept.
  TaskLogs(Env* env, std::string dir) : env_(env), dir_(std::move(dir)) {}

  // InvalidArgument for a job id that could not be one of ours (it names a directory).
  Status Write(const std::string& job_id, rpc::TaskKind kind, uint32_t task, uint32_t attempt, std::string_view text);
  // The job's logs that pass `filter`, by kind, task and attempt (none when it has none).
  StatusOr<std::vector<rpc::TaskLog>> Read(const std::string& job_id, const TaskLogFilter& filter) const;
  void Remove(const std::string& job_id);

 private:
  std::string JobDir(const std::string& job_id) const { return dir_ + "/" + job_id; }

  Env* env_;
  const std::string dir_;
};

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_TASK_LOGS_H_
