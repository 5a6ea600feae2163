#include "worker/task_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "common/subprocess.h"
#include "worker/task_zygote.h"

namespace aviary::worker {
namespace {

constexpr int kSecretFd = 4;
// Descriptors of this process that are handed to the child are moved above the child's fixed
// ones first, so that setting up fd 1-4 in the child never overwrites one still to be copied.
constexpr int kFirstHighFd = 10;
// The output pipe's capacity: large, so a chatty task rarely waits for the daemon's next poll.
constexpr int kOutputPipeBytes = 1 << 20;

std::string DescribeExit(int wait_status) {
  return "task process " + DescribeWaitStatus(wait_status) + (WIFSIGNALED(wait_status) ? "" : " without a result");
}

std::string Megabytes(uint64_t bytes) { return std::to_string(bytes >> 20) + " MB"; }

// A pipe whose two ends are close-on-exec and numbered at least kFirstHighFd.
Status HighPipe(int fds[2]) {
  int raw[2];
  if (::pipe2(raw, O_CLOEXEC) != 0) return Internal(std::string("pipe: ") + std::strerror(errno));
  for (int i = 0; i < 2; ++i) {
    fds[i] = ::fcntl(raw[i], F_DUPFD_CLOEXEC, kFirstHighFd);
    ::close(raw[i]);
  }
  if (fds[0] < 0 || fds[1] < 0) {
    for (int i = 0; i < 2; ++i) if (fds[i] >= 0) ::close(fds[i]);
    return Internal(std::string("fcntl: ") + std::strerror(errno));
  }
  return Status::OK();
}

// The read end of a pipe that already holds `data` and is closed for writing.
StatusOr<int> PipeHolding(const std::string& data) {
  // Written whole before the child starts, so it must fit the pipe's buffer (64 KiB on Linux).
  if (data.size() > 60000) return InvalidArgument("the cluster secret and TLS material exceed 60000 bytes");
  int fds[2];
  RETURN_IF_ERROR(HighPipe(fds));
  const bool written = ::write(fds[1], data.data(), data.size()) == static_cast<ssize_t>(data.size());
  ::close(fds[1]);
  if (!written) {
    ::close(fds[0]);
    return Internal(std::string("writing the secret pipe: ") + std::strerror(errno));
  }
  return fds[0];
}

}  // namespace

uint64_t AttemptMemoryLimit(const rpc::TaskSpec& spec) {
  constexpr uint64_t kFloor = 64ull << 20;
  constexpr uint64_t kSanitizerMargin = kUnderAddressSanitizer ? 768ull << 20 : 0;
  return spec.memory_budget_bytes() == 0 ? 0 : std::max(kFloor, spec.memory_budget_bytes()) + kSanitizerMargin;
}

const std::vector<std::string>& TaskSecretVariables() {
  static const auto* names = new std::vector<std::string>{"AVIARY_SECRET", "AVIARY_TLS_CERT", "AVIARY_TLS_KEY", "AVIARY_TLS_CA"};
  return *names;
}

std::vector<std::string> TaskProcessEnvironment() { return EnvironmentWithout(TaskSecretVariables()); }

StatusOr<std::unique_ptr<TaskProcess>> TaskProcess::Launch(Env* env, const std::string& runner_exe,
                                                           const rpc::TaskSpec& spec, int64_t stall_timeout_us,
                                                           const std::string& secret, uint32_t cpu_limit_seconds,
                                                           TaskZygote* zygote) {
  const std::string& dir = spec.work_dir();
  RETURN_IF_ERROR(env->CreateDirs(dir));
  // Unsynced: after a crash of the machine the attempt is redone anyway (so are its files).
  RETURN_IF_ERROR(WriteFileAtomically(env, dir + "/spec.pb", spec.SerializeAsString(), Durability::kUnsynced));

  int progress[2], output[2];
  RETURN_IF_ERROR(HighPipe(progress));
  if (Status s = HighPipe(output); !s.ok()) {
    ::close(progress[0]);
    ::close(progress[1]);
    return s;
  }
  StatusOr<int> secret_fd = secret.empty() ? StatusOr<int>(-1) : PipeHolding(secret);
  ::fcntl(output[0], F_SETPIPE_SZ, kOutputPipeBytes);  // best effort: the default 64 KiB works too
  SpawnSpec child;
  child.argv = {runner_exe, "task-runner", "--work-dir", dir};
  if (cpu_limit_seconds > 0) child.argv.insert(child.argv.end(), {"--cpu-limit", std::to_string(cpu_limit_seconds)});
  child.env = TaskProcessEnvironment();
  child.Open(0, "/dev/null", O_RDONLY).Dup(output[1], 1).Dup(output[1], 2).Dup(progress[1], 3);
  if (secret_fd.ok() && *secret_fd >= 0) child.Dup(*secret_fd, kSecretFd);
  child.close_from = secret_fd.ok() && *secret_fd >= 0 ? kSecretFd + 1 : kSecretFd;
  child.new_process_group = true;  // so that Kill() reaches what the attempt forks
  child.name = "task runner " + runner_exe;
  StatusOr<pid_t> pid = secret_fd.ok() ? StatusOr<pid_t>(Unavailable("no fork server")) : secret_fd.status();
  if (secret_fd.ok() && zygote != nullptr) {
    pid = zygote->Fork(dir, cpu_limit_seconds, output[1], progress[1], *secret_fd);
  }
  if (secret_fd.ok() && !pid.ok() && pid.status().code() == StatusCode::kUnavailable) pid = Spawn(child);
  ::close(progress[1]);
  ::close(output[1]);
  if (secret_fd.ok() && *secret_fd >= 0) ::close(*secret_fd);
  if (!pid.ok()) {
    ::close(progress[0]);
    ::close(output[0]);
    return pid.status();
  }
  ::fcntl(progress[0], F_SETFL, O_NONBLOCK);
  ::fcntl(output[0], F_SETFL, O_NONBLOCK);
  return std::unique_ptr<TaskProcess>(new TaskProcess(env, spec, *pid, progress[0], output[0], stall_timeout_us,
                                                      cpu_limit_seconds));
}

TaskProcess::TaskProcess(Env* env, rpc::TaskSpec spec, pid_t pid, int progress_fd, int output_fd,
                         int64_t stall_timeout_us, uint32_t cpu_limit_seconds)
    : env_(env),
      spec_(std::move(spec)),
      pid_(pid),
      progress_fd_(progress_fd),
      output_fd_(output_fd),
      pid_fd_(OpenPidFd(pid)),
      stall_timeout_us_(stall_timeout_us),
      cpu_limit_seconds_(cpu_limit_seconds),
      last_progress_us_(env->NowMicros()) {}

TaskProcess::~TaskProcess() {
  if (!done_) {
    KillEverything();
    (void)WaitForExit(pid_);
  }
  ::close(progress_fd_);
  ::close(output_fd_);
  if (pid_fd_ >= 0) ::close(pid_fd_);
}

bool TaskProcess::AddWakeFds(std::vector<struct pollfd>* fds) const {
  if (done_) return true;
  if (pid_fd_ < 0) return false;
  fds->push_back({.fd = pid_fd_, .events = POLLIN, .revents = 0});
  // A closed pipe polls readable for good: only the pidfd can say when the attempt ends.
  if (!progress_closed_) fds->push_back({.fd = progress_fd_, .events = POLLIN, .revents = 0});
  if (!output_closed_) fds->push_back({.fd = output_fd_, .events = POLLIN, .revents = 0});
  return true;
}

void TaskProcess::ReadProgress() {
  uint64_t values[64];
  while (true) {
    ssize_t n = ::read(progress_fd_, values, sizeof values);
    if (n == 0) progress_closed_ = true;
    if (n < static_cast<ssize_t>(sizeof(uint64_t))) return;
    progress_ = values[n / sizeof(uint64_t) - 1];
    last_progress_us_ = env_->NowMicros();
  }
}

void TaskProcess::ReadOutput() {
  char buffer[64 << 10];
  // Bounded per call, so one flooding task cannot starve the daemon's loop; the pipe holds the rest.
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = ::read(output_fd_, buffer, sizeof buffer);
    if (n == 0) output_closed_ = true;
    if (n <= 0) return;
    output_.Append(std::string_view(buffer, static_cast<size_t>(n)));
  }
}

void TaskProcess::CheckMemory() {
  const uint64_t limit = AttemptMemoryLimit(spec_);
  const int64_t now = env_->NowMicros();
  if (limit == 0 || now - last_memory_check_us_ < kMemoryCheckUs) return;
  last_memory_check_us_ = now;
  uint64_t resident = ResidentBytesOf(pid_);
  for (pid_t p : DescendantsOf(pid_)) resident += ResidentBytesOf(p);
  if (resident > limit) {
    Kill("exceeded the memory limit of " + Megabytes(limit) + " (its processes held " + Megabytes(resident) + ")");
  }
}

void TaskProcess::KillEverything() {
  // Descendants first (those that left the group by setsid() are still below the runner, a
  // subreaper), then the group. The runner's pid is not reaped yet, so the group id is still ours.
  for (pid_t p : DescendantsOf(pid_)) SignalProcess(p, SIGKILL);
  SignalProcess(pid_, SIGKILL);
  SignalProcessGroup(pid_, SIGKILL);
}

void TaskProcess::Kill(const std::string& why) {
  if (done_ || !kill_reason_.empty()) return;
  kill_reason_ = why;
  KillEverything();
}

bool TaskProcess::Poll(rpc::TaskResult* result) {
  if (done_) return false;
  ReadProgress();
  ReadOutput();
  if (HasEnded(pid_)) {
    // Whatever the attempt forked ends with it. (Orphans that already moved to the daemon, a
    // subreaper too, are swept by the daemon.)
    SignalProcessGroup(pid_, SIGKILL);
    const std::optional<int> wait_status = TryWaitForExit(pid_);
    ReadOutput();
    done_ = true;
    *result = Collect(wait_status.value_or(0));
    if (output_.total_bytes() > 0) result->set_output_log(output_.Contents());  // the task log
    return true;
  }
  CheckMemory();
  if (env_->NowMicros() - last_progress_us_ > stall_timeout_us_) {
    Kill("no progress for " + std::to_string(stall_timeout_us_ / 1000000) + " s (user code stuck?)");
  }
  return false;
}

rpc::TaskResult TaskProcess::Collect(int wait_status) {
  if (!kill_reason_.empty()) return FailedResult("attempt stopped: " + kill_reason_ + OutputTail());
  if (WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGXCPU) {
    return FailedResult("attempt stopped: exceeded the CPU-time limit of " + std::to_string(cpu_limit_seconds_) +
                        " s" + OutputTail());
  }
  std::string bytes;
  rpc::TaskResult result;
  const bool exited_cleanly = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
  if (exited_cleanly && ReadFileToString(env_, spec_.work_dir() + "/result.pb", &bytes).ok() &&
      result.ParseFromString(bytes)) {
    return result;
  }
  return FailedResult(DescribeExit(wait_status) + OutputTail());
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

std::string TaskProcess::OutputTail() const {
  constexpr size_t kTail = 1500;
  std::string log = output_.Tail(kTail);
  if (log.empty()) return "";
  if (output_.total_bytes() > log.size()) log = "..." + log;
  while (!log.empty() && (log.back() == '\n' || log.back() == ' ')) log.pop_back();
  std::string dropped;
  if (output_.dropped_bytes() > 0) dropped = " (" + std::to_string(output_.dropped_bytes()) + " bytes of output not kept)";
  return "; stderr" + dropped + ": " + log;
}

}  // namespace aviary::worker
