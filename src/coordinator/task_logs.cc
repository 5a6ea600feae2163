#include "coordinator/task_logs.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <tuple>

namespace aviary::coordinator {
namespace {

// Job ids are ours ("job-20261203-071502-1a3f"), but they arrive from workers: letters, digits
// and dashes only, so one can never name a path outside the logs' directory.
bool SafeJobId(const std::string& id) {
  return !id.empty() && id.size() <= 128 &&
         std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
}

std::string FileName(rpc::TaskKind kind, uint32_t task, uint32_t attempt) {
  char name[64];
  std::snprintf(name, sizeof name, "%s-%05u-%u.log", kind == rpc::MAP ? "map" : "reduce", task, attempt);
  return name;
}

// The inverse of FileName; false for any other file (a temporary one of an unfinished write).
bool ParseFileName(const std::string& name, rpc::TaskLog* log) {
  char kind[8] = {};
  unsigned task = 0, attempt = 0;
  int end = 0;
  if (std::sscanf(name.c_str(), "%7[a-z]-%u-%u.log%n", kind, &task, &attempt, &end) != 3 ||
      static_cast<size_t>(end) != name.size()) {
    return false;
  }
  const std::string k = kind;
  if (k != "map" && k != "reduce") return false;
  log->set_kind(k == "map" ? rpc::MAP : rpc::REDUCE);
  log->set_task(task);
  log->set_attempt(attempt);
  return true;
}

bool Passes(const rpc::TaskLog& log, const TaskLogFilter& f) {
  return (f.kind == rpc::TASK_KIND_UNSPECIFIED || log.kind() == f.kind) && (!f.task || log.task() == *f.task) &&
         (f.attempt == 0 || log.attempt() == f.attempt);
}

}  // namespace

Status TaskLogs::Write(const std::string& job_id, rpc::TaskKind kind, uint32_t task, uint32_t attempt,
                       std::string_view text) {
  if (dir_.empty() || text.empty()) return Status::OK();
  if (!SafeJobId(job_id)) return InvalidArgument("task log for a malformed job id");
  if (kind != rpc::MAP && kind != rpc::REDUCE) return InvalidArgument("task log of an unknown task kind");
  if (text.size() > kMaxBytes) text = text.substr(text.size() - kMaxBytes);
  RETURN_IF_ERROR(env_->CreateDirs(JobDir(job_id)));
  return WriteFileAtomically(env_, JobDir(job_id) + "/" + FileName(kind, task, attempt), text);
}

StatusOr<std::vector<rpc::TaskLog>> TaskLogs::Read(const std::string& job_id, const TaskLogFilter& filter) const {
  std::vector<rpc::TaskLog> out;
  if (dir_.empty() || !SafeJobId(job_id) || !env_->FileExists(JobDir(job_id))) return out;
  ASSIGN_OR_RETURN(std::vector<std::string> names, env_->GetChildren(JobDir(job_id)));
  for (const std::string& name : names) {
    rpc::TaskLog log;
    if (!ParseFileName(name, &log) || !Passes(log, filter)) continue;
    std::string text;
    RETURN_IF_ERROR(ReadFileToString(env_, JobDir(job_id) + "/" + name, &text));
    log.set_text(std::move(text));
    out.push_back(std::move(log));
  }
  std::sort(out.begin(), out.end(), [](const rpc::TaskLog& a, const rpc::TaskLog& b) {
    return std::make_tuple(a.kind(), a.task(), a.attempt()) < std::make_tuple(b.kind(), b.task(), b.attempt());
  });
  return out;
}

void TaskLogs::Remove(const std::string& job_id) {
  if (dir_.empty() || !SafeJobId(job_id)) return;
  (void)env_->DeleteRecursively(JobDir(job_id));
}

}  // namespace aviary::coordinator
