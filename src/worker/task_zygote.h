// TaskZygote: a fork server for task processes. Every attempt still runs in a process of its
// own (crash isolation as in task_process.h), but that process is forked from a copy of this
// binary that was started and dynamically loaded once, instead of being exec'd: an exec costs
// about 17 ms of CPU and 20 ms of wall time, mostly in the dynamic loader (docs/performance.md).
//
// The zygote is `aviary task-zygote`, started by the worker daemon with a SOCK_SEQPACKET socket
// as fd 3. It stays single-threaded and does nothing but fork, so each child starts clean, and,
// once a runner is forked, load what that job's formats need (FormatRegistry::Preload: the
// MongoDB driver), so that the job's next runners find it loaded. For a
// request (work dir, CPU limit, and the attempt's output, progress and secret descriptors passed
// with SCM_RIGHTS) it forks an intermediate process, which forks the runner and exits at once.
// The runner is thus reparented to the daemon (a child subreaper), which waits for it, signals
// its process group and reads its result exactly as for a spawned runner. The runner leads a new
// process group, holds only fd 0-4 like a spawned one, sets PR_SET_PDEATHSIG only once the daemon
// is its parent, and runs TaskRunnerMain().
//
// Thread safety: not thread-safe; the daemon's main loop owns the zygote.
#ifndef AVIARY_WORKER_TASK_ZYGOTE_H_
#define AVIARY_WORKER_TASK_ZYGOTE_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace aviary::worker {

class TaskZygote {
 public:
  // Starts `exe task-zygote` with `env` ("NAME=value" entries). REQUIRES: this process is a
  // child subreaper (PR_SET_CHILD_SUBREAPER), or the runners would not become its children.
  static StatusOr<std::unique_ptr<TaskZygote>> Start(const std::string& exe, const std::vector<std::string>& env);
  // The zygote as a fork of this process, without the exec: saves the ~10 ms of CPU an exec of
  // this binary spends in the dynamic loader and static initialisers. The copy holds this
  // process's memory, so call it before any secret is read; `scrub_env` names the variables
  // whose values are zeroed in the copy (in place: /proc/PID/environ shows that memory) and
  // removed; the copy's command line reads `aviary task-zygote`. FailedPrecondition when this
  // process has threads (a fork keeps only one of them): Start() it instead.
  static StatusOr<std::unique_ptr<TaskZygote>> ForkFromHere(const std::vector<std::string>& scrub_env);
  ~TaskZygote();  // kills the zygote (not the runners it forked: they are the daemon's)

  TaskZygote(const TaskZygote&) = delete;
  TaskZygote& operator=(const TaskZygote&) = delete;

  // Forks a runner for `work_dir` whose fd 1 and 2 are `output_fd`, fd 3 `progress_fd` and fd 4
  // `secret_fd` (-1: none), and returns its pid, a child of this process by then. The caller
  // keeps and closes its descriptors. Unavailable: no runner was started (the zygote is gone, or
  // its fork failed), so the caller may start one another way; any other error: a runner may
  // have started.
  StatusOr<pid_t> Fork(const std::string& work_dir, uint32_t cpu_limit_seconds, int output_fd, int progress_fd,
                       int secret_fd);

  pid_t pid() const { return pid_; }

 private:
  TaskZygote(pid_t pid, int socket_fd) : pid_(pid), socket_fd_(socket_fd) {}

  pid_t pid_;
  int socket_fd_;
};

// The zygote's main loop, for `aviary task-zygote` (the request socket is fd 3); returns when the
// daemon closes the socket.
int TaskZygoteMain();

}  // namespace aviary::worker

#endif  // AVIARY_WORKER_TASK_ZYGOTE_H_
