#include "worker/task_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "common/subprocess.h"

namespace aviary::worker {
namespace {

std::string DescribeExit(int wait_status) {
  return "task process " + DescribeWaitStatus(wait_status) + (WIFSIGNALED(wait_status) ? "" : " without a result");
}

}  // namespace

StatusOr<std::unique_ptr<TaskProcess>> TaskProcess::Launch(Env* env, const std::string& runner_exe,
                                                           const rpc::TaskSpec& spec, int64_t stall_timeout_us) {
  const std::string& dir = spec.work_dir();
  RETURN_IF_ERROR(env->CreateDirs(dir));
  RETURN_IF_ERROR(WriteFileAtomically(env, dir + "/spec.pb", spec.SerializeAsString()));

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Internal(std::string("pipe: ") + std::strerror(errno));
  const std::string log = dir + "/stderr.log";
  SpawnSpec child;
  child.argv = {runner_exe, "task-runner", "--work-dir", dir};
  child.Open(0, "/dev/null", O_RDONLY).Open(1, log, O_WRONLY | O_CREAT | O_TRUNC).Dup(1, 2);
  child.Dup(pipe_fds[1], 3);  // dup2 clears O_CLOEXEC on fd 3
  child.name = "task runner " + runner_exe;
  StatusOr<pid_t> pid = Spawn(child);
  ::close(pipe_fds[1]);
  if (!pid.ok()) {
    ::close(pipe_fds[0]);
    return pid.status();
  }
  ::fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
  return std::unique_ptr<TaskProcess>(new TaskProcess(env, spec, *pid, pipe_fds[0], stall_timeout_us));
}

TaskProcess::TaskProcess(Env* env, rpc::TaskSpec spec, pid_t pid, int progress_fd, int64_t stall_timeout_us)
    : env_(env),
      spec_(std::move(spec)),
      pid_(pid),
      progress_fd_(progress_fd),
      stall_timeout_us_(stall_timeout_us),
      last_progress_us_(env->NowMicros()) {}

TaskProcess::~TaskProcess() {
  if (!done_) {
    SignalProcess(pid_, SIGKILL);
    (void)WaitForExit(pid_);
  }
  ::close(progress_fd_);
}

void TaskProcess::ReadProgress() {
  uint64_t values[64];
  while (true) {
    ssize_t n = ::read(progress_fd_, values, sizeof values);
    if (n < static_cast<ssize_t>(sizeof(uint64_t))) return;
    progress_ = values[n / sizeof(uint64_t) - 1];
    last_progress_us_ = env_->NowMicros();
  }
}

void TaskProcess::Kill(const std::string& why) {
  if (done_ || !kill_reason_.empty()) return;
  kill_reason_ = why;
  SignalProcess(pid_, SIGKILL);
}

bool TaskProcess::Poll(rpc::TaskResult* result) {
  if (done_) return false;
  ReadProgress();
  if (const std::optional<int> wait_status = TryWaitForExit(pid_)) {
    done_ = true;
    *result = Collect(*wait_status);
    return true;
  }
  if (env_->NowMicros() - last_progress_us_ > stall_timeout_us_) {
    Kill("no progress for " + std::to_string(stall_timeout_us_ / 1000000) + " s (user code stuck?)");
  }
  return false;
}

rpc::TaskResult TaskProcess::Collect(int wait_status) {
  if (!kill_reason_.empty()) return FailedResult("attempt stopped: " + kill_reason_);
  std::string bytes;
  rpc::TaskResult result;
  const bool exited_cleanly = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
  if (exited_cleanly && ReadFileToString(env_, spec_.work_dir() + "/result.pb", &bytes).ok() &&
      result.ParseFromString(bytes)) {
    return result;
  }
  return FailedResult(DescribeExit(wait_status) + StderrTail());
}

rpc::TaskResult TaskProcess::FailedResult(const std::string& error) const {
  rpc::TaskResult result;
  result.set_job_id(spec_.job_id());
  result.set_kind(spec_.kind());
  result.set_task(spec_.task());
  result.set_attempt(spec_.attempt());
  result.set_ok(false);
  result.set_error(error);
  return result;
}

std::string TaskProcess::StderrTail() const {
  std::string log;
  if (!ReadFileToString(env_, spec_.work_dir() + "/stderr.log", &log).ok() || log.empty()) return "";
  constexpr size_t kTail = 1500;
  if (log.size() > kTail) log = "..." + log.substr(log.size() - kTail);
  while (!log.empty() && (log.back() == '\n' || log.back() == ' ')) log.pop_back();
  return "; stderr: " + log;
}

}  // namespace aviary::worker
