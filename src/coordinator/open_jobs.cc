#include "coordinator/open_jobs.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "storage/output.h"

namespace aviary::coordinator {
namespace {

constexpr std::string_view kSpecSuffix = ".spec";
constexpr std::string_view kDaemonPrefix = "coordinator-";

// Job ids become file names here and path components of outputs that get deleted.
bool IsPlainName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

bool ProcessIsGone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

}  // namespace

std::string OpenJobsDir(const std::string& data_dir) { return data_dir + "/open-jobs"; }

Status OpenJobJournal::Note(const std::string& job_id, const rpc::JobSpec& spec) {
  if (!IsPlainName(job_id)) return InvalidArgument("invalid job id '" + job_id + "'");
  return WriteFileAtomically(env_, PathOf(job_id), spec.SerializeAsString()).WithContext("noting job " + job_id);
}

void OpenJobJournal::Forget(const std::string& job_id) {
  if (!IsPlainName(job_id)) return;
  if (Status s = env_->DeleteFile(PathOf(job_id)); !s.ok() && env_->FileExists(PathOf(job_id))) {
    spdlog::warn("forgetting open job {}: {}", job_id, s.ToString());
  }
}

size_t OpenJobJournal::AbortAbandoned() {
  StatusOr<std::vector<std::string>> names = env_->GetChildren(dir_);
  if (!names.ok()) return 0;
  size_t aborted = 0;
  for (const std::string& name : *names) {
    if (!name.ends_with(kSpecSuffix)) continue;
    const std::string job_id = name.substr(0, name.size() - kSpecSuffix.size());
    std::string bytes;
    rpc::JobSpec spec;
    Status s = ReadFileToString(env_, dir_ + "/" + name, &bytes);
    if (s.ok() && !spec.ParseFromString(bytes)) s = DataLoss("unreadable spec");
    StatusOr<std::unique_ptr<OutputFormat>> output = s.ok() ? OutputFormat::ForJob(spec, env_)
                                                            : StatusOr<std::unique_ptr<OutputFormat>>(s);
    if (output.ok()) s = (*output)->AbortJob(job_id);
    if (!output.ok() || !s.ok()) {
      spdlog::warn("abandoned job {}: cannot remove what it wrote: {}", job_id,
                   (output.ok() ? s : output.status()).ToString());
    } else {
      spdlog::info("abandoned job {} (its coordinator died): removed its unfinished output in {}", job_id,
                   (*output)->Describe());
    }
    ++aborted;
    (void)env_->DeleteFile(dir_ + "/" + name);
  }
  return aborted;
}

void CleanUpEarlierLife(Env* env, const std::string& data_dir, const std::string& inline_dir) {
  OpenJobJournal(env, OpenJobsDir(data_dir)).AbortAbandoned();
  StatusOr<std::vector<std::string>> spools = env->GetChildren(inline_dir);
  if (!spools.ok()) return;
  for (const std::string& name : *spools) {
    if (!IsPlainName(name)) continue;
    spdlog::info("removing inline result {} of an earlier coordinator", name);
    (void)env->DeleteRecursively(inline_dir + "/" + name);
  }
}

void CleanUpDeadCoordinators(Env* env, const std::string& own_dir) {
  const size_t slash = own_dir.rfind('/');
  if (slash == std::string::npos) return;
  const std::string base = own_dir.substr(0, slash);
  StatusOr<std::vector<std::string>> names = env->GetChildren(base);
  if (!names.ok()) return;
  for (const std::string& name : *names) {
    if (!name.starts_with(kDaemonPrefix) || base + "/" + name == own_dir) continue;
    char* end = nullptr;
    const long pid = std::strtol(name.c_str() + kDaemonPrefix.size(), &end, 10);
    if (end == nullptr || *end != '\0' || pid <= 0 || !ProcessIsGone(static_cast<pid_t>(pid))) continue;
    const std::string dir = base + "/" + name;
    const size_t aborted = OpenJobJournal(env, OpenJobsDir(dir)).AbortAbandoned();
    spdlog::info("removing {} of a coordinator that is gone ({} unfinished jobs aborted)", dir, aborted);
    if (Status s = env->DeleteRecursively(dir); !s.ok()) spdlog::warn("removing {}: {}", dir, s.ToString());
  }
}

}  // namespace aviary::coordinator
