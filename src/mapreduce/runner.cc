#include "mapreduce/runner.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "client/job_report.h"
#include "client/submission.h"
#include "mapreduce/reply.h"

namespace aviary::mapreduce {

namespace {

StatusOr<std::string> ReadInline(client::CoordinatorClient& coordinator, const std::string& job_id) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  if (out == nullptr) return Internal("open_memstream failed");
  Status s = coordinator.ReadOutput(job_id, out);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  if (!s.ok()) return s.WithContext("reading the inline result");
  return text;
}

// Between leases (a failover) every coordinator refuses with UNAVAILABLE for up to the lease
// timeout (3 s by default), and one that steps down while recording the job answers ABORTED
// (the job was not recorded under its term): try again, a bounded number of times, rather
// than fail the command.
constexpr int kSubmitAttempts = 20;
constexpr auto kSubmitRetryDelay = std::chrono::milliseconds(500);

bool BetweenLeases(const Status& s) { return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kAborted; }

StatusOr<std::string> SubmitRetrying(client::CoordinatorClient& coordinator, const rpc::SubmitJobRequest& submission) {
  StatusOr<std::string> id = coordinator.Submit(submission);
  for (int attempt = 1; attempt < kSubmitAttempts && !id.ok() && BetweenLeases(id.status()); ++attempt) {
    std::this_thread::sleep_for(kSubmitRetryDelay);
    id = coordinator.Submit(submission);
  }
  return id;
}

// Waits for the job as Wait() does, but no longer than maxTimeMS from `start`: then cancels it
// and answers DeadlineExceeded, as MongoDB ends a command past its maxTimeMS.
StatusOr<rpc::JobStatus> WaitWithin(client::CoordinatorClient& coordinator, const std::string& id, int64_t max_time_ms,
                                    std::chrono::steady_clock::time_point start) {
  if (max_time_ms <= 0) return coordinator.Wait(id, /*show_progress=*/false);
  const auto deadline = start + std::chrono::milliseconds(max_time_ms);
  while (true) {
    const auto asked = std::chrono::steady_clock::now();
    StatusOr<rpc::JobStatus> job = coordinator.GetJob(id, /*with_tasks=*/false, /*hold_ms=*/20);  // answered at the end
    if (job.ok() && client::IsFinal(job->state())) return coordinator.GetJob(id, /*with_tasks=*/true);
    if (!job.ok() && job.status().code() == StatusCode::kNotFound) return job.status();
    if (std::chrono::steady_clock::now() >= deadline) {
      (void)coordinator.Cancel(id);  // best effort: the answer is the same either way
      return DeadlineExceeded("operation exceeded time limit");
    }
    std::this_thread::sleep_until(asked + std::chrono::milliseconds(20));
  }
}

}  // namespace

bool Run(client::CoordinatorClient& coordinator, const Request& request, bson_t* reply, Error* error) {
  const auto start = std::chrono::steady_clock::now();
  StatusOr<rpc::SubmitJobRequest> submission = client::BuildSubmission(request.job);
  if (!submission.ok()) return (*error = ErrorFromStatus(submission.status()), false);
  StatusOr<std::string> id = SubmitRetrying(coordinator, *submission);
  if (!id.ok()) return (*error = ErrorFromStatus(id.status().WithContext("submitting the job")), false);
  StatusOr<rpc::JobStatus> job = WaitWithin(coordinator, *id, request.max_time_ms, start);
  if (!job.ok() && job.status().code() == StatusCode::kDeadlineExceeded) {
    return (*error = {50, "MaxTimeMSExpired", job.status().message() + " (maxTimeMS " +
                                                  std::to_string(request.max_time_ms) + "; job " + *id + " cancelled)"},
            false);
  }
  if (!job.ok()) return (*error = ErrorFromStatus(job.status().WithContext("waiting for job " + *id)), false);
  if (job->state() != rpc::SUCCEEDED) {
    *error = {139, "JSInterpreterFailure", "mapReduce job " + *id + " " +
                                               (job->state() == rpc::CANCELLED ? "was cancelled" : "failed") + ": " +
                                               job->error()};
    return false;
  }
  std::string results;
  if (request.inline_out) {
    StatusOr<std::string> text = ReadInline(coordinator, *id);
    if (!text.ok()) return (*error = ErrorFromStatus(text.status()), false);
    results = std::move(*text);
  }
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  return BuildReply(request, *job, results, millis, reply, error);
}

bool Execute(client::CoordinatorClient& coordinator, const bson_t* command, const Target& target, bson_t* reply) {
  Request request;
  Error error;
  if (ParseCommand(command, target, &request, &error) && Run(coordinator, request, reply, &error)) return true;
  bson_reinit(reply);
  BuildErrorReply(error, reply);
  return false;
}

}  // namespace aviary::mapreduce
