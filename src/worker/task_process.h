// TaskProcess: one task attempt running in its own process, so that user code that crashes,
// aborts, calls exit() or loops forever costs one attempt and never the worker daemon.
//
// The daemon writes the TaskSpec to `<work_dir>/spec.pb`, starts `aviary task-runner` with a pipe
// on fd 3 for progress reports, and reads `<work_dir>/result.pb` after the child exits. A child
// that exits without a result, dies from a signal, or reports no progress for the stall timeout
// fails the attempt with a message that includes the tail of its stderr.
//
// Thread safety: not thread-safe; the daemon's main loop owns all TaskProcess objects.
#ifndef AVIARY_WORKER_TASK_PROCESS_H_
#define AVIARY_WORKER_TASK_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/env.h"
#include "common/status.h"
#include "rpc/aviary.pb.h"

namespace aviary::worker {

class TaskProcess {
 public:
  // Starts the runner. `runner_exe` is the aviary binary; `stall_timeout_us` bounds the time
  // between two progress reports.
  static StatusOr<std::unique_ptr<TaskProcess>> Launch(Env* env, const std::string& runner_exe,
                                                       const rpc::TaskSpec& spec, int64_t stall_timeout_us);
  ~TaskProcess();

  // Reads progress and reaps the child without blocking. Returns true once the attempt is over,
  // with `*result` filled in.
  bool Poll(rpc::TaskResult* result);
  // Stops the child (SIGKILL); a later Poll() reports the attempt as killed.
  void Kill(const std::string& why);

  const rpc::TaskSpec& spec() const { return spec_; }
  uint64_t progress() const { return progress_; }
  pid_t pid() const { return pid_; }

 private:
  TaskProcess(Env* env, rpc::TaskSpec spec, pid_t pid, int progress_fd, int64_t stall_timeout_us);
  void ReadProgress();
  rpc::TaskResult Collect(int wait_status);
  rpc::TaskResult FailedResult(const std::string& error) const;
  std::string StderrTail() const;

  Env* env_;  // not owned
  rpc::TaskSpec spec_;
  pid_t pid_;
  int progress_fd_;
  int64_t stall_timeout_us_;
  uint64_t progress_ = 0;
  int64_t last_progress_us_;
  std::string kill_reason_;
  bool done_ = false;
};

}  // namespace aviary::worker

#endif  // AVIARY_WORKER_TASK_PROCESS_H_
