#include "client/plugin_check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include "common/subprocess.h"
#include "plugin/plugin.h"

namespace aviary::client {
namespace {

constexpr int kReportFd = 3;

std::string SelfExe() {
  char buffer[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string("/proc/self/exe");
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Reads `fd` to its end or until `deadline_ms`; false on timeout.
bool ReadAll(int fd, int64_t deadline_ms, std::string* out) {
  char buffer[4096];
  for (;;) {
    const int64_t left = deadline_ms - NowMs();
    if (left <= 0) return false;
    struct pollfd p = {fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (ready < 0 && errno != EINTR) return true;
    if (ready <= 0) continue;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return true;
    if (n > 0 && out->size() < (64 << 10)) out->append(buffer, static_cast<size_t>(n));
  }
}

Status FromReport(const std::string& path, int wait_status, const std::string& report) {
  if (WIFSIGNALED(wait_status)) {
    return InvalidArgument("plugin " + path + " crashed while being loaded (its check was " +
                           DescribeWaitStatus(wait_status) + "): the library is damaged or its initialization fails");
  }
  if (report.starts_with("error ")) return InvalidArgument(report.substr(6));
  return InvalidArgument("plugin " + path + " could not be checked: the check " + DescribeWaitStatus(wait_status) +
                         " without an answer");
}

}  // namespace

StatusOr<std::string> CheckPluginInChild(const std::string& path, const std::string& aviary_exe, int64_t timeout_ms) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Internal(std::string("pipe: ") + std::strerror(errno));
  SpawnSpec child;
  child.argv = {aviary_exe.empty() ? SelfExe() : aviary_exe, "check-plugin", path};
  child.name = "the plugin check";
  child.env = EnvironmentWithout({"AVIARY_SECRET"});
  // Whatever the library prints goes to our stderr; our stdout is for results (a job id).
  child.Open(0, "/dev/null", O_RDONLY).Dup(2, 1).Dup(fds[1], kReportFd);
  child.close_from = kReportFd + 1;
  child.new_process_group = true;
  StatusOr<pid_t> pid = Spawn(child);
  ::close(fds[1]);
  if (!pid.ok()) {
    ::close(fds[0]);
    return pid.status();
  }
  std::string report;
  const bool finished = ReadAll(fds[0], NowMs() + timeout_ms, &report);
  ::close(fds[0]);
  if (!finished) SignalProcessGroup(*pid, SIGKILL);
  ASSIGN_OR_RETURN(int wait_status, WaitForExit(*pid));
  SignalProcessGroup(*pid, SIGKILL);  // nothing the library forked outlives the check
  if (!finished) {
    return InvalidArgument("plugin " + path + " did not load within " + std::to_string(timeout_ms / 1000) +
                           " s (its initialization hangs?)");
  }
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0 && report.starts_with("ok ")) return report.substr(3);
  return FromReport(path, wait_status, report);
}

int CheckPluginMain(const std::string& path) {
  StatusOr<std::unique_ptr<Plugin>> plugin = Plugin::Open(path);
  const std::string report = plugin.ok() ? "ok " + std::string((*plugin)->name()) : "error " + plugin.status().message();
  const bool sent = ::write(kReportFd, report.data(), report.size()) == static_cast<ssize_t>(report.size());
  // Skip the library's destructors: the answer is given.
  ::_exit(sent && plugin.ok() ? 0 : 1);
}

}  // namespace aviary::client
