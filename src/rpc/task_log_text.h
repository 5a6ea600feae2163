// Task logs (rpc::TaskLog) as people read them, one section per attempt under a header line;
// what `aviary logs` prints and the web UI's /api/jobs/JOB/logs serves.
#ifndef AVIARY_RPC_TASK_LOG_TEXT_H_
#define AVIARY_RPC_TASK_LOG_TEXT_H_

#include <string>
#include <vector>

#include "rpc/aviary.pb.h"

namespace aviary::rpc {

// "==> map task 3, attempt 1, worker HOST:PORT <==", then the log, ending in a newline. An
// omitted log gets its header with "(not shown)" only.
std::string TaskLogText(const TaskLog& log);
std::string TaskLogsText(const std::vector<TaskLog>& logs);

}  // namespace aviary::rpc

#endif  // AVIARY_RPC_TASK_LOG_TEXT_H_
