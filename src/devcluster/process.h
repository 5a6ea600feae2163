// Starting, watching and stopping the long-running processes of a local cluster: detached daemons
// (own session, stdin from /dev/null, stdout and stderr appended to a log file), liveness checks
// that survive pid reuse, and free loopback ports.
//
// Thread safety: every function is safe to call from any thread.
#ifndef AVIARY_DEVCLUSTER_PROCESS_H_
#define AVIARY_DEVCLUSTER_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace aviary::devcluster {

// One process, identified by pid and start time so that a recycled pid is not mistaken for it.
struct ProcessRef {
  pid_t pid = 0;
  uint64_t start_ticks = 0;  // /proc/PID/stat field 22
};

// Starts `argv` (argv[0] is a path) as a daemon: a new session, working directory `work_dir`
// (unchanged when empty), stdin /dev/null, stdout and stderr appended to `log_path`, default
// signal mask and dispositions, no other inherited fds.
StatusOr<ProcessRef> SpawnDaemon(const std::vector<std::string>& argv, const std::string& log_path,
                                 const std::string& work_dir = "");

// Start time of `pid` in clock ticks since boot, or 0 when there is no such running process
// (zombies count as gone).
uint64_t ProcessStartTicks(pid_t pid);

// True when `p` names a running process that is still the one recorded.
bool IsAlive(const ProcessRef& p);

// Sends SIGTERM to every live process of `procs`, waits up to `grace_ms` for all to exit, then
// SIGKILLs the rest and waits for them. Reaps those that are children of this process.
void StopProcesses(const std::vector<ProcessRef>& procs, int grace_ms);

// `n` distinct TCP ports on 127.0.0.1 that were free a moment ago (bound to port 0 together,
// then released).
StatusOr<std::vector<int>> PickFreePorts(int n);
// True when 127.0.0.1:`port` can be bound now.
bool PortIsFree(int port);

// Absolute path of the running executable, and its directory.
std::string SelfExePath();
std::string SelfExeDir();

// Waits until the file at `path`, read from byte `offset` on, holds a line that contains
// `marker`, and returns the text after the marker up to the end of that line. Fails when `proc`
// exits first (quoting the log's last lines) or after `timeout_ms`. `what` names the process
// for messages.
StatusOr<std::string> WaitForLogLine(const std::string& path, uint64_t offset, std::string_view marker,
                                     const ProcessRef& proc, const std::string& what, int timeout_ms);

// The last `lines` lines of the file at `path` (empty when unreadable), for error messages.
std::string LogTail(const std::string& path, int lines);

// Size of the file at `path`, 0 when it does not exist.
uint64_t FileSizeOrZero(const std::string& path);

// Full path of `program` found on $PATH (or as given when it holds a '/'), empty when absent.
std::string FindOnPath(const std::string& program);

// Cleans up and exits on SIGINT, SIGTERM or SIGHUP: from construction until Disarm(), such a
// signal runs `on_interrupt(signal)` on a dedicated thread and then _exit(128 + signal); after
// Disarm() they are ignored. Blocks the signals in the calling thread (and so in every thread it
// starts later), so construct it before any other thread exists. Daemons started by
// SpawnDaemon() get a clean signal mask.
class InterruptHandler {
 public:
  explicit InterruptHandler(std::function<void(int)> on_interrupt);
  // Waits for a cleanup that has already begun (which then exits the process).
  void Disarm();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace aviary::devcluster

#endif  // AVIARY_DEVCLUSTER_PROCESS_H_
