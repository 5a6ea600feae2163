// How `submit --wait` and `run` wait for their job: progress on stderr, and Ctrl-C handled the
// way Spark and Hadoop users expect. `submit --wait` asks on a terminal whether to cancel the
// job or detach from it (without a terminal it detaches), and prints the command that cancels
// it; `run` owns its job, so Ctrl-C cancels it, waits until its temporary output is removed,
// and lets the private cluster remove its own files.
#ifndef AVIARY_CLI_WAIT_JOB_H_
#define AVIARY_CLI_WAIT_JOB_H_

#include <string>

#include "client/coordinator_client.h"
#include "common/status.h"
#include "rpc/aviary.pb.h"

namespace aviary::cli {

inline constexpr int kExitInterrupted = 130;  // 128 + SIGINT, as shells report it

enum class OnInterrupt { kAskOrDetach, kCancel };

struct WaitOptions {
  bool show_progress = true;
  int poll_ms = 100;
  OnInterrupt on_interrupt = OnInterrupt::kAskOrDetach;
  std::string coordinator;  // for the commands printed on detach
  bool* interrupted = nullptr;  // if given, set when Ctrl-C came
};

// The job's final status; kCancelled "detached" when the user left the job running.
StatusOr<rpc::JobStatus> WaitForJob(client::CoordinatorClient& client, const std::string& job_id,
                                    const WaitOptions& options);

}  // namespace aviary::cli

#endif  // AVIARY_CLI_WAIT_JOB_H_
