// Starting and ending child processes: the one place that calls posix_spawn. A SpawnSpec says
// what the child gets (argv, environment, working directory, file descriptors, session and
// signal state); the functions below wait for it, signal it or its process group.
//
// Thread safety: every function is safe to call from any thread; a SpawnSpec is a plain value.
#ifndef AVIARY_COMMON_SUBPROCESS_H_
#define AVIARY_COMMON_SUBPROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace aviary {

struct SpawnSpec {
  // One step that sets up the child's file descriptors, applied in order before exec.
  struct FdAction {
    enum class Kind { kOpen, kDup, kClose };
    Kind kind;
    int fd;              // the child's descriptor it sets up (or closes)
    int source_fd = -1;  // kDup: this process's descriptor copied to `fd` (dup2 clears O_CLOEXEC)
    std::string path;    // kOpen
    int flags = 0;       // kOpen: open(2) flags; files are created 0644
  };

  std::vector<std::string> argv;  // argv[0] is the program's path (no $PATH search)
  std::string name;               // names the program in messages; empty: argv[0]
  // "NAME=value" entries; nullopt: this process's environment.
  std::optional<std::vector<std::string>> env;
  std::string cwd;  // empty: this process's working directory
  std::vector<FdAction> fds;
  // >= 0: closes every descriptor from this one up in the child, after `fds` ran.
  int close_from = -1;
  // A new session (so a new process group too): a daemon that outlives its terminal.
  bool new_session = false;
  // A new process group led by the child (ignored with new_session, which implies one).
  bool new_process_group = false;
  // An empty signal mask and default dispositions for the common signals, whatever this process
  // blocked or ignored for itself.
  bool reset_signals = false;

  SpawnSpec& Open(int fd, std::string path, int flags) {
    fds.push_back({FdAction::Kind::kOpen, fd, -1, std::move(path), flags});
    return *this;
  }
  SpawnSpec& Dup(int source_fd, int fd) {
    fds.push_back({FdAction::Kind::kDup, fd, source_fd, "", 0});
    return *this;
  }
  SpawnSpec& Close(int fd) {
    fds.push_back({FdAction::Kind::kClose, fd, -1, "", 0});
    return *this;
  }
};

// Starts the child. Internal "cannot start NAME: ..." when posix_spawn fails (a missing
// program fails here, not later).
StatusOr<pid_t> Spawn(const SpawnSpec& spec);

// Waits for child `pid` to end and returns its wait status (WIFEXITED...). Internal when `pid`
// is not a child of this process.
StatusOr<int> WaitForExit(pid_t pid);
// The wait status of child `pid` if it has ended (reaping it), else nullopt (also when it is not
// a child of this process).
std::optional<int> TryWaitForExit(pid_t pid);

// A descriptor that polls readable once process `pid` has ended (pidfd_open), or -1 where the
// kernel has none (before Linux 5.3). The caller closes it.
int OpenPidFd(pid_t pid);

// True once child `pid` has ended, without reaping it: its pid (and so its process group id) stays
// reserved until TryWaitForExit, so the group can still be signalled safely.
bool HasEnded(pid_t pid);

// The children of `pid` (from /proc/PID/task/*/children; zombies included).
std::vector<pid_t> ChildrenOf(pid_t pid);
// Its children, their children, and so on (at most a few thousand: a fork bomb is cut off).
std::vector<pid_t> DescendantsOf(pid_t pid);
// Resident memory of process `pid` in bytes; 0 when it is gone.
uint64_t ResidentBytesOf(pid_t pid);

// This process's environment without the variables named (a child must not see, say, the secret).
std::vector<std::string> EnvironmentWithout(const std::vector<std::string>& names);

// Sends `signal` to `pid`; false when there is no such process.
bool SignalProcess(pid_t pid, int signal);
// Sends `signal` to every process of the group `pgid` (a child started with new_session or
// new_process_group leads a group of its own pid).
bool SignalProcessGroup(pid_t pgid, int signal);

// "exited with code N" or "killed by signal N (SIGNAME)", for messages.
std::string DescribeWaitStatus(int wait_status);

}  // namespace aviary

#endif  // AVIARY_COMMON_SUBPROCESS_H_
