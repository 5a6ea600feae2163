#include "rpc/task_log_text.h"

namespace aviary::rpc {

std::string TaskLogText(const TaskLog& log) {
  std::string out = "==> ";
  out += log.kind() == MAP ? "map" : "reduce";
  out += " task " + std::to_string(log.task()) + ", attempt " + std::to_string(log.attempt());
  if (!log.worker().empty()) out += ", worker " + log.worker();
  out += log.omitted() ? " <== (not shown)\n" : " <==\n";
  out += log.text();
  if (!log.text().empty() && log.text().back() != '\n') out += '\n';
  return out;
}

std::string TaskLogsText(const std::vector<TaskLog>& logs) {
  std::string out;
  for (const TaskLog& log : logs) out += TaskLogText(log);
  return out;
}

}  // namespace aviary::rpc
