// What a process forked without exec needs in order to pass for one that was exec'd: the fork
// itself is only safe while this process has one thread (the child would hold a copy of every
// lock another thread held), and `ps` and /proc/PID/cmdline should show what the child does,
// not its parent's command line.
//
// Thread safety: SingleThreaded() from any thread; SetProcessTitle() from one thread.
#ifndef AVIARY_COMMON_PROCESS_FORK_H_
#define AVIARY_COMMON_PROCESS_FORK_H_

#include <string>
#include <vector>

namespace aviary {

// True when this process has exactly one thread (from /proc/self/task).
bool SingleThreaded();

// Rewrites this process's argument strings, in the memory /proc/PID/cmdline shows, to `args`,
// cut to the room the original ones took. False when that memory cannot be found.
bool SetProcessTitle(const std::vector<std::string>& args);

}  // namespace aviary

#endif  // AVIARY_COMMON_PROCESS_FORK_H_
