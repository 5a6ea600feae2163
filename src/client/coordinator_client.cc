#include "client/coordinator_client.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "client/job_report.h"
#include "client/progress.h"
#include "common/utf8.h"
#include "rpc/grpc_util.h"

namespace aviary::client {
namespace {

constexpr auto kRpcTimeout = std::chrono::seconds(30);

}  // namespace

CoordinatorClient::CoordinatorClient(const std::string& addresses, rpc::ChannelFactory* channels)
    : address_(addresses), pool_(addresses, channels) {}

namespace {

// A job id that protobuf cannot send would reach the coordinator as an unparseable request.
Status CheckJobId(const std::string& job_id) {
  if (IsValidUtf8(job_id)) return Status::OK();
  return NotFound("no job " + ToValidUtf8(job_id) + " (job ids look like job-YYYYMMDD-HHMMSS-xxxxx)");
}

}  // namespace

StatusOr<std::string> CoordinatorClient::Submit(const rpc::SubmitJobRequest& request) {
  rpc::SubmitJobResponse response;
  // Planning a big input takes a while.
  RETURN_IF_ERROR(pool_.Invoke(std::chrono::minutes(5), [&](rpc::Coordinator::Stub& stub, grpc::ClientContext* ctx) {
    return stub.SubmitJob(ctx, request, &response);
  }));
  return response.job_id();
}

StatusOr<rpc::JobStatus> CoordinatorClient::GetJob(const std::string& job_id, bool with_tasks, uint32_t hold_ms) {
  RETURN_IF_ERROR(CheckJobId(job_id));
  rpc::GetJobRequest request;
  request.set_job_id(job_id);
  request.set_with_tasks(with_tasks);
  request.set_hold_ms(hold_ms);
  rpc::JobStatus response;
  RETURN_IF_ERROR(pool_.Invoke(kRpcTimeout, [&](rpc::Coordinator::Stub& stub, grpc::ClientContext* ctx) {
    return stub.GetJob(ctx, request, &response);
  }));
  return response;
}

StatusOr<std::vector<rpc::JobStatus>> CoordinatorClient::ListJobs() {
  rpc::ListJobsResponse response;
  RETURN_IF_ERROR(pool_.Invoke(kRpcTimeout, [&](rpc::Coordinator::Stub& stub, grpc::ClientContext* ctx) {
    return stub.ListJobs(ctx, rpc::ListJobsRequest(), &response);
  }));
  return std::vector<rpc::JobStatus>(response.jobs().begin(), response.jobs().end());
}

Status CoordinatorClient::Cancel(const std::string& job_id) {
  RETURN_IF_ERROR(CheckJobId(job_id));
  rpc::CancelJobRequest request;
  request.set_job_id(job_id);
  rpc::CancelJobResponse response;
  return pool_.Invoke(kRpcTimeout, [&](rpc::Coordinator::Stub& stub, grpc::ClientContext* ctx) {
    return stub.CancelJob(ctx, request, &response);
  });
}

StatusOr<rpc::ReadTaskLogsResponse> CoordinatorClient::ReadTaskLogs(const rpc::ReadTaskLogsRequest& request) {
  RETURN_IF_ERROR(CheckJobId(request.job_id()));
  rpc::ReadTaskLogsResponse response;
  RETURN_IF_ERROR(pool_.Invoke(kRpcTimeout, [&](rpc::Coordinator::Stub& stub, grpc::ClientContext* ctx) {
    return stub.ReadTaskLogs(ctx, request, &response);
  }));
  return response;
}

StatusOr<rpc::ClusterStatusResponse> CoordinatorClient::ClusterStatus() {
  // Ask each coordinator in turn and return the active one's view (or the last answer).
  StatusOr<rpc::ClusterStatusResponse> last = Unavailable("no coordinator answered at " + address_);
  for (size_t i = 0; i < pool_.size(); ++i) {
    grpc::ClientContext context;
    rpc::PrepareContext(&context, kRpcTimeout);
    rpc::ClusterStatusResponse response;
    Status s = FromCoordinator(pool_.stub(i).ClusterStatus(&context, rpc::ClusterStatusRequest(), &response),
                               pool_.address(i));
    if (s.ok() && response.active()) return response;
    if (s.ok() || !last.ok()) last = s.ok() ? StatusOr<rpc::ClusterStatusResponse>(response) : StatusOr<rpc::ClusterStatusResponse>(s);
  }
  return last;
}

Status CoordinatorClient::ReadOutput(const std::string& job_id, std::FILE* out) {
  RETURN_IF_ERROR(CheckJobId(job_id));
  rpc::ReadOutputRequest request;
  request.set_job_id(job_id);
  uint64_t written = 0;
  return pool_.Invoke(std::chrono::hours(1), [&](rpc::Coordinator::Stub& stub, grpc::ClientContext* ctx) {
    auto reader = stub.ReadOutput(ctx, request);
    rpc::DataChunk chunk;
    while (reader->Read(&chunk)) {
      std::fwrite(chunk.data().data(), 1, chunk.data().size(), out);
      written += chunk.data().size();
    }
    std::fflush(out);
    grpc::Status s = reader->Finish();
    // Once lines went out, reading again elsewhere would print them twice: give up instead.
    if (!s.ok() && written > 0) return grpc::Status(grpc::StatusCode::ABORTED, "result stream broke: " + s.error_message());
    return s;
  });
}

StatusOr<rpc::JobStatus> CoordinatorClient::Wait(const std::string& job_id, bool show_progress, int poll_ms,
                                                 const volatile std::sig_atomic_t* interrupted) {
  ProgressPrinter progress(stderr, ::isatty(STDERR_FILENO) != 0);
  const auto start = std::chrono::steady_clock::now();
  int failures = 0;
  while (true) {
    if (interrupted != nullptr && *interrupted) {
      if (show_progress) progress.Finish();
      return Cancelled("interrupted");
    }
    // Held until the job ends or poll_ms passes: the end is seen at once. A coordinator that
    // does not hold answers at once, and the sleep below keeps the pace.
    const auto asked = std::chrono::steady_clock::now();
    StatusOr<rpc::JobStatus> job = GetJob(job_id, false, static_cast<uint32_t>(poll_ms));
    if (!job.ok()) {
      // Ride out a short outage (e.g. a coordinator failover); give up after about a minute.
      if (++failures > 60 || job.status().code() == StatusCode::kNotFound) return job.status();
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    failures = 0;
    if (show_progress) {
      progress.Show(*job, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    if (IsFinal(job->state())) {
      if (show_progress) progress.Finish();
      return GetJob(job_id, /*with_tasks=*/true);  // the final word, with every attempt
    }
    std::this_thread::sleep_until(asked + std::chrono::milliseconds(poll_ms));
  }
}

}  // namespace aviary::client
