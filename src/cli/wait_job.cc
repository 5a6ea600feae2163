#include "cli/wait_job.h"

#include <unistd.h>

#include <csignal>
#include <iostream>
#include <string>

namespace aviary::cli {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;

void OnSigint(int) { g_interrupted = 1; }

// Catches SIGINT into g_interrupted while it lives; the previous handler comes back after.
class ScopedSigintFlag {
 public:
  ScopedSigintFlag() {
    g_interrupted = 0;
    struct sigaction action {};
    action.sa_handler = OnSigint;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_);
  }
  ~ScopedSigintFlag() { sigaction(SIGINT, &previous_, nullptr); }
  ScopedSigintFlag(const ScopedSigintFlag&) = delete;
  ScopedSigintFlag& operator=(const ScopedSigintFlag&) = delete;

 private:
  struct sigaction previous_ {};
};

bool AskToCancel(const std::string& job_id) {
  if (!::isatty(STDIN_FILENO) || !::isatty(STDERR_FILENO)) return false;
  std::cerr << "\ninterrupted: cancel job " << job_id << "? [y/N] (N leaves it running; Ctrl-C again detaches) "
            << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return !answer.empty() && (answer[0] == 'y' || answer[0] == 'Y');
}

StatusOr<rpc::JobStatus> CancelAndWait(client::CoordinatorClient& client, const std::string& job_id,
                                       const WaitOptions& options) {
  std::cerr << "cancelling " << job_id << " ..." << std::endl;
  if (Status s = client.Cancel(job_id); !s.ok() && s.code() != StatusCode::kFailedPrecondition) return s;
  // Not interruptible again: the job's temporary output is being removed.
  return client.Wait(job_id, options.show_progress, options.poll_ms);
}

}  // namespace

StatusOr<rpc::JobStatus> WaitForJob(client::CoordinatorClient& client, const std::string& job_id,
                                    const WaitOptions& options) {
  StatusOr<rpc::JobStatus> job = [&] {
    ScopedSigintFlag sigint;
    return client.Wait(job_id, options.show_progress, options.poll_ms, &g_interrupted);
  }();
  if (job.ok() || job.status().code() != StatusCode::kCancelled) return job;
  if (options.interrupted != nullptr) *options.interrupted = true;
  if (options.on_interrupt == OnInterrupt::kCancel || AskToCancel(job_id)) return CancelAndWait(client, job_id, options);
  std::cerr << "\ndetached: job " << job_id << " keeps running.\n  follow it: aviary status " << job_id
            << " --coordinator " << options.coordinator << "\n  cancel it: aviary cancel " << job_id
            << " --coordinator " << options.coordinator << std::endl;
  return Cancelled("detached");
}

}  // namespace aviary::cli
