// The code that runs inside the task process (`aviary task-runner --work-dir DIR`): loads the
// plugin, runs one map or reduce attempt, and writes its TaskResult. Everything here may crash
// with the user's code; the worker daemon never runs it in its own process.
#ifndef AVIARY_WORKER_TASK_RUNNER_H_
#define AVIARY_WORKER_TASK_RUNNER_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "common/env.h"
#include "rpc/aviary.pb.h"

namespace aviary::worker {

// Sends a progress count to the daemon, at most every 100 ms, over the fd it was given, and
// publishes the attempt's counters so far about once a second (see SetCounters()).
// Thread safety: Report() may be called from several threads.
class ProgressReporter {
 public:
  // Fills the counters so far from `progress`, the count last reported. Called by Report().
  using Snapshot = std::function<void(uint64_t progress, rpc::TaskCounters* counters)>;

  // `fd` < 0 disables reporting (in-process tests).
  ProgressReporter(Env* env, int fd) : env_(env), fd_(fd) {}
  void Report(uint64_t progress);
  // Reports unconditionally (e.g. when a long phase starts).
  void ReportNow(uint64_t progress);
  // Sends the last report again, at once: the daemon wakes on it (after a split claim, say).
  void Wake();
  // From now on Report() writes `snapshot`'s counters to `path` (temporary name, then rename)
  // about once a second; the daemon reads that file into its heartbeats. An empty `snapshot`
  // stops it. REQUIRES: no concurrent Report().
  void SetCounters(std::string path, Snapshot snapshot);

 private:
  void PublishCounters(uint64_t progress);

  Env* env_;
  int fd_;
  std::mutex mu_;  // Report() is called from several threads (a reducer's fetches)
  uint64_t last_sent_ = 0;  // GUARDED_BY(mu_)
  int64_t last_us_ = 0;     // GUARDED_BY(mu_)
  int64_t last_counters_us_ = 0;
  std::string counters_path_;
  Snapshot snapshot_;
};

// The file in an attempt's work dir that holds its counters so far (rpc::TaskCounters).
inline constexpr const char* kLiveCountersFile = "live_counters.pb";

// Adds this process's CPU seconds and peak resident set size (getrusage) to `counters`.
void FillUsage(rpc::TaskCounters* counters);

// Runs the attempt described by `spec`. Never throws; failures come back in the result.
// `before_user_code`, if set, runs once before the plugin is loaded (after a reducer's fetch):
// the task process drops the cluster secret there.
rpc::TaskResult RunTask(Env* env, const rpc::TaskSpec& spec, ProgressReporter* progress,
                        const std::function<void()>& before_user_code = {});

// Entry point of `aviary task-runner --work-dir DIR [--cpu-limit N]`: reads spec.pb from
// `work_dir`, runs it under its limits, writes result.pb.
int TaskRunnerMain(const std::string& work_dir, uint32_t cpu_limit_seconds = 0);

}  // namespace aviary::worker

#endif  // AVIARY_WORKER_TASK_RUNNER_H_
