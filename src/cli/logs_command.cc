// `aviary logs JOB [TASK] [--kind map|reduce] [--attempt N]`: what the job's attempts wrote to
// stdout and stderr, as the coordinator keeps it (coordinator/task_logs.h).
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "client/coordinator_client.h"
#include "rpc/task_log_text.h"

namespace aviary::cli {
namespace {

struct LogsFlags {
  std::string job_id;
  std::optional<uint32_t> task;
  std::string kind;
  uint32_t attempt = 0;
  std::string coordinator;
};

int ShowLogs(const LogsFlags& f) {
  rpc::ReadTaskLogsRequest request;
  request.set_job_id(f.job_id);
  if (f.kind == "map") request.set_kind(rpc::MAP);
  if (f.kind == "reduce") request.set_kind(rpc::REDUCE);
  if (f.task) {
    request.set_has_task(true);
    request.set_task(*f.task);
  }
  request.set_attempt(f.attempt);
  client::CoordinatorClient client(f.coordinator);
  StatusOr<rpc::ReadTaskLogsResponse> reply = client.ReadTaskLogs(request);
  if (!reply.ok()) return Fail(reply.status());
  const bool filtered = f.task || !f.kind.empty() || f.attempt != 0;
  if (reply->logs().empty()) {
    if (filtered) return Fail(NotFound("job " + f.job_id + ": no such attempt wrote to stdout or stderr"));
    std::cerr << "job " << f.job_id << ": no attempt has written to stdout or stderr" << std::endl;
    return kExitOk;
  }
  size_t omitted = 0;
  for (const rpc::TaskLog& log : reply->logs()) {
    if (log.omitted()) {
      ++omitted;
      continue;
    }
    std::cout << rpc::TaskLogText(log);
  }
  std::cout.flush();
  if (omitted > 0) {
    std::cerr << omitted << " more attempts' logs not shown (over 3 MiB in all): ask for one task, e.g. `aviary logs "
              << f.job_id << " TASK --kind map`" << std::endl;
  }
  return kExitOk;
}

}  // namespace

Adapter DefineLogs(CLI::App* cmd) {
  auto f = std::make_shared<LogsFlags>();
  cmd->add_option("JOB_ID", f->job_id, "job id")->required();
  cmd->add_option("TASK", f->task, "only this task number (with --kind, of that kind)");
  cmd->add_option("--kind", f->kind, "only map or only reduce tasks")->check(CLI::IsMember({"map", "reduce"}));
  cmd->add_option("--attempt", f->attempt, "only this attempt number (1 is the first)")->check(CLI::PositiveNumber);
  AddCoordinatorOption(cmd, &f->coordinator);
  return [f](const GlobalFlags& global) {
    QuietLogs(global);
    return ShowLogs(*f);
  };
}

}  // namespace aviary::cli
