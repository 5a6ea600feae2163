#include "common/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

extern char** environ;

namespace aviary {
namespace {

// Owns the posix_spawn structures for one call.
class SpawnAttributes {
 public:
  explicit SpawnAttributes(const SpawnSpec& spec) {
    posix_spawnattr_init(&attr_);
    posix_spawn_file_actions_init(&actions_);
    short flags = 0;
    if (spec.reset_signals) {
      sigset_t none;
      sigemptyset(&none);
      posix_spawnattr_setsigmask(&attr_, &none);
      sigset_t defaults;
      sigemptyset(&defaults);
      for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2}) sigaddset(&defaults, sig);
      posix_spawnattr_setsigdefault(&attr_, &defaults);
      flags |= POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    }
    if (spec.new_session) {
      flags |= POSIX_SPAWN_SETSID;
    } else if (spec.new_process_group) {
      posix_spawnattr_setpgroup(&attr_, 0);
      flags |= POSIX_SPAWN_SETPGROUP;
    }
    posix_spawnattr_setflags(&attr_, flags);
    if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions_, spec.cwd.c_str());
    for (const SpawnSpec::FdAction& a : spec.fds) AddFdAction(a);
    if (spec.close_from >= 0) posix_spawn_file_actions_addclosefrom_np(&actions_, spec.close_from);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;

  const posix_spawnattr_t* attr() const { return &attr_; }
  const posix_spawn_file_actions_t* actions() const { return &actions_; }

 private:
  void AddFdAction(const SpawnSpec::FdAction& a) {
    switch (a.kind) {
      case SpawnSpec::FdAction::Kind::kOpen:
        posix_spawn_file_actions_addopen(&actions_, a.fd, a.path.c_str(), a.flags, 0644);
        break;
      case SpawnSpec::FdAction::Kind::kDup:
        posix_spawn_file_actions_adddup2(&actions_, a.source_fd, a.fd);
        break;
      case SpawnSpec::FdAction::Kind::kClose:
        posix_spawn_file_actions_addclose(&actions_, a.fd);
        break;
    }
  }

  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

// NUL-terminated pointer arrays over `strings` (which must outlive them).
std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

StatusOr<pid_t> Spawn(const SpawnSpec& spec) {
  if (spec.argv.empty()) return InvalidArgument("no program to start");
  const SpawnAttributes attributes(spec);
  std::vector<char*> argv = CStrings(spec.argv);
  std::vector<char*> envp = spec.env ? CStrings(*spec.env) : std::vector<char*>();
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0], attributes.actions(), attributes.attr(), argv.data(),
                               spec.env ? envp.data() : environ);
  if (rc != 0) return Internal("cannot start " + (spec.name.empty() ? spec.argv[0] : spec.name) + ": " + std::strerror(rc));
  return pid;
}

StatusOr<int> WaitForExit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Internal("waiting for process " + std::to_string(pid) + ": " + std::strerror(errno));
  }
  return status;
}

std::optional<int> TryWaitForExit(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == pid) return status;
  return std::nullopt;
}

int OpenPidFd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

bool HasEnded(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream children(task.path() / "children");
    for (pid_t child; children >> child;) out.push_back(child);
  }
  return out;
}

std::vector<pid_t> DescendantsOf(pid_t pid) {
  std::vector<pid_t> out;
  std::vector<pid_t> todo = {pid};
  // Bounded: a fork bomb must not keep us here; what is missed is found on the next call.
  while (!todo.empty() && out.size() < 4096) {
    const pid_t parent = todo.back();
    todo.pop_back();
    for (pid_t child : ChildrenOf(parent)) {
      out.push_back(child);
      todo.push_back(child);
    }
  }
  return out;
}

uint64_t ResidentBytesOf(pid_t pid) {
  uint64_t pages = 0, resident = 0;
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  if (!(statm >> pages >> resident)) return 0;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

std::vector<std::string> EnvironmentWithout(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    if (std::find(names.begin(), names.end(), name) == names.end()) out.push_back(entry);
  }
  return out;
}

bool SignalProcess(pid_t pid, int signal) { return pid > 0 && ::kill(pid, signal) == 0; }

bool SignalProcessGroup(pid_t pgid, int signal) { return pgid > 0 && ::kill(-pgid, signal) == 0; }

std::string DescribeWaitStatus(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    return "killed by signal " + std::to_string(sig) + " (SIG" + sigabbrev_np(sig) + ")";
  }
  return "exited with code " + std::to_string(WEXITSTATUS(wait_status));
}

}  // namespace aviary
