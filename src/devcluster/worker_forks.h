// Worker processes for `aviary run`, forked from it before it does anything else instead of
// exec'd once its coordinator is up. An exec of this binary costs about 10 ms of CPU in the
// dynamic loader and static initialisers, and a worker exec'd after the coordinator starts
// delays the first task by that much (docs/performance.md, "Fixed costs").
//
// The forks happen right after the command line is parsed, while the process has one thread
// and has read no secret and no key: each child is a copy of that memory. A child waits for its
// command line on a socket, then runs it (`worker ...` with the coordinator's address) as if it
// had been exec'd. It takes the secret and the TLS files the way an exec'd worker would, from
// the environment it inherited or from the files its command line names, never through the
// socket. A child whose parent dies first, or whose socket closes without a command line, exits.
//
// Thread safety: Start() only while the process is single-threaded; Launch() from one thread.
#ifndef AVIARY_DEVCLUSTER_WORKER_FORKS_H_
#define AVIARY_DEVCLUSTER_WORKER_FORKS_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aviary::devcluster {

// What a forked child runs with its command line (argv[0] included); returns its exit code.
using WorkerEntry = int (*)(int argc, char** argv);

class WorkerForks {
 public:
  // Forks `count` waiting children. Does nothing when the process has threads (a fork would keep
  // only one of them), so that Launch() then finds none and the caller execs its workers.
  static void Start(uint32_t count, WorkerEntry entry);
  // Hands `argv` to a waiting child and returns its pid (a child of this process); nullopt when
  // none is left.
  static std::optional<pid_t> Launch(const std::vector<std::string>& argv);
  // Ends the children no one launched (the cluster did not need them).
  static void DiscardUnused();
};

}  // namespace aviary::devcluster

#endif  // AVIARY_DEVCLUSTER_WORKER_FORKS_H_
