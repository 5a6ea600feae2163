// TaskProcess: one task attempt running in its own process, so that user code that crashes,
// aborts, calls exit() or loops forever costs one attempt and never the worker daemon.
//
// The daemon writes the TaskSpec to `<work_dir>/spec.pb` and starts `aviary task-runner` in a
// process group of its own, with
//   fd 0    /dev/null
//   fd 1, 2 one pipe read by the daemon into a bounded OutputCapture (never a file)
//   fd 3    a pipe for progress reports
//   fd 4    reduce attempts only: a pipe holding the cluster secret and TLS material
//           (rpc::EncodeTransportSecrets), which the runner reads and closes before it loads user
//           code (the environment never carries them)
// and nothing else (every other descriptor is closed). It reads `<work_dir>/result.pb` after the
// child exits. A child that exits without a result, dies from a signal, reports no progress for
// the stall timeout, or whose processes together hold more resident memory than
// AttemptMemoryLimit(spec) fails the attempt with a message that includes the tail of its output.
// When the attempt ends, every process it started is killed: its process group, and its
// descendants found under the runner (a child subreaper, so they cannot escape by setsid()).
//
// Thread safety: not thread-safe; the daemon's main loop owns all TaskProcess objects.
#ifndef AVIARY_WORKER_TASK_PROCESS_H_
#define AVIARY_WORKER_TASK_PROCESS_H_

#include <poll.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "rpc/aviary.pb.h"
#include "worker/output_capture.h"

namespace aviary::worker {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kUnderAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kUnderAddressSanitizer = true;
#else
inline constexpr bool kUnderAddressSanitizer = false;
#endif
#else
inline constexpr bool kUnderAddressSanitizer = false;
#endif

// The resident memory an attempt's processes may hold together: its share of the worker's
// budget (spec.memory_budget_bytes), but never less than the engine's own footprint (64 MiB).
// Under AddressSanitizer 768 MiB more, for its shadow memory and quarantine.
uint64_t AttemptMemoryLimit(const rpc::TaskSpec& spec);

// The environment of task processes: this process's, without the cluster's credentials.
std::vector<std::string> TaskProcessEnvironment();
// The variables TaskProcessEnvironment() leaves out: the cluster secret and the TLS files.
const std::vector<std::string>& TaskSecretVariables();

class TaskZygote;

class TaskProcess {
 public:
  // How often Poll() sums the attempt's resident memory at most.
  static constexpr int64_t kMemoryCheckUs = 20'000;

  // Starts the runner. `runner_exe` is the aviary binary; `stall_timeout_us` bounds the time
  // between two progress reports; `secret` (may be empty) is handed over on fd 4;
  // `cpu_limit_seconds` (0: none) bounds the runner's CPU time (RLIMIT_CPU, set by the runner).
  // With `zygote`, the runner is forked from it (task_zygote.h); exec'd if that fails.
  static StatusOr<std::unique_ptr<TaskProcess>> Launch(Env* env, const std::string& runner_exe,
                                                       const rpc::TaskSpec& spec, int64_t stall_timeout_us,
                                                       const std::string& secret = "", uint32_t cpu_limit_seconds = 0,
                                                       TaskZygote* zygote = nullptr);
  ~TaskProcess();

  // Reads progress and output, checks the memory limit, and reaps the child without blocking.
  // Returns true once the attempt is over, with `*result` filled in.
  bool Poll(rpc::TaskResult* result);
  // Stops the child and everything it started (SIGKILL); a later Poll() reports the attempt as
  // killed with `why`.
  void Kill(const std::string& why);

  // Adds what becomes readable when the attempt reports progress (a split claim too: the runner
  // then reports again), writes output or ends. False when its end cannot be awaited so (no
  // pidfd): the caller must then poll on a short period.
  bool AddWakeFds(std::vector<struct pollfd>* fds) const;

  const rpc::TaskSpec& spec() const { return spec_; }
  uint64_t progress() const { return progress_; }
  pid_t pid() const { return pid_; }

 private:
  TaskProcess(Env* env, rpc::TaskSpec spec, pid_t pid, int progress_fd, int output_fd, int64_t stall_timeout_us,
              uint32_t cpu_limit_seconds);
  void ReadProgress();
  void ReadOutput();
  void CheckMemory();
  void KillEverything();
  rpc::TaskResult Collect(int wait_status);
  rpc::TaskResult FailedResult(const std::string& error) const;
  std::string OutputTail() const;

  Env* env_;  // not owned
  rpc::TaskSpec spec_;
  pid_t pid_;
  int progress_fd_;
  int output_fd_;
  int pid_fd_;  // -1: none (OpenPidFd)
  bool progress_closed_ = false;  // read end at EOF: the runner (and all it forked) closed it
  bool output_closed_ = false;
  int64_t stall_timeout_us_;
  uint32_t cpu_limit_seconds_;
  uint64_t progress_ = 0;
  int64_t last_progress_us_;
  int64_t last_memory_check_us_ = 0;
  OutputCapture output_;
  std::string kill_reason_;
  bool done_ = false;
};

}  // namespace aviary::worker

#endif  // AVIARY_WORKER_TASK_PROCESS_H_
