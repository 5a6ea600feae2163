#include "cli/client.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "rpc/grpc_util.h"

namespace aviary::cli {
namespace {

constexpr auto kRpcTimeout = std::chrono::seconds(30);

std::string StateName(rpc::JobState state) {
  std::string name = rpc::JobState_Name(state);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string HumanBytes(uint64_t bytes) {
  if (bytes >= (1ull << 30)) return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1ull << 30));
  if (bytes >= (1ull << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1ull << 20));
  if (bytes >= (1ull << 10)) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / (1ull << 10));
  return fmt::format("{} B", bytes);
}

}  // namespace

CoordinatorClient::CoordinatorClient(const std::string& addresses) : address_(addresses) {
  size_t start = 0;
  while (start <= addresses.size()) {
    size_t comma = addresses.find(',', start);
    if (comma == std::string::npos) comma = addresses.size();
    if (comma > start) addresses_.push_back(addresses.substr(start, comma - start));
    start = comma + 1;
  }
  if (addresses_.empty()) addresses_.push_back(addresses);
  for (const auto& a : addresses_) stubs_.push_back(rpc::Coordinator::NewStub(rpc::MakeChannel(a)));
}

template <typename Call>
Status CoordinatorClient::Invoke(std::chrono::milliseconds timeout, Call&& call) {
  Status last;
  for (size_t i = 0; i < stubs_.size(); ++i) {
    grpc::ClientContext context;
    rpc::PrepareContext(&context, timeout);
    last = rpc::FromGrpc(call(*stubs_[current_], &context), "coordinator " + addresses_[current_]);
    if (last.code() != StatusCode::kUnavailable && last.code() != StatusCode::kDeadlineExceeded) return last;
    current_ = (current_ + 1) % stubs_.size();
  }
  return last;
}

StatusOr<std::string> CoordinatorClient::Submit(const rpc::SubmitJobRequest& request) {
  rpc::SubmitJobResponse response;
  // Planning a big input takes a while.
  RETURN_IF_ERROR(Invoke(std::chrono::minutes(5), [&](rpc::Coordinator::Stub& stub, grpc::ClientContext* ctx) {
    return stub.SubmitJob(ctx, request, &response);
  }));
  return response.job_id();
}

StatusOr<rpc::JobStatus> CoordinatorClient::GetJob(const std::string& job_id, bool with_tasks) {
  rpc::GetJobRequest request;
  request.set_job_id(job_id);
  request.set_with_tasks(with_tasks);
  rpc::JobStatus response;
  RETURN_IF_ERROR(Invoke(kRpcTimeout, [&](rpc::Coordinator::Stub& stub, grpc::ClientContext* ctx) {
    return stub.GetJob(ctx, request, &response);
  }));
  return response;
}

StatusOr<std::vector<rpc::JobStatus>> CoordinatorClient::ListJobs() {
  rpc::ListJobsResponse response;
  RETURN_IF_ERROR(Invoke(kRpcTimeout, [&](rpc::Coordinator::Stub& stub, grpc::ClientContext* ctx) {
    return stub.ListJobs(ctx, rpc::ListJobsRequest(), &response);
  }));
  return std::vector<rpc::JobStatus>(response.jobs().begin(), response.jobs().end());
}

Status CoordinatorClient::Cancel(const std::string& job_id) {
  rpc::CancelJobRequest request;
  request.set_job_id(job_id);
  rpc::CancelJobResponse response;
  return Invoke(kRpcTimeout, [&](rpc::Coordinator::Stub& stub, grpc::ClientContext* ctx) {
    return stub.CancelJob(ctx, request, &response);
  });
}

StatusOr<rpc::ClusterStatusResponse> CoordinatorClient::ClusterStatus() {
  // Ask each coordinator in turn and return the active one's view (or the last answer).
  StatusOr<rpc::ClusterStatusResponse> last = Unavailable("no coordinator answered at " + address_);
  for (size_t i = 0; i < stubs_.size(); ++i) {
    grpc::ClientContext context;
    rpc::PrepareContext(&context, kRpcTimeout);
    rpc::ClusterStatusResponse response;
    Status s = rpc::FromGrpc(stubs_[i]->ClusterStatus(&context, rpc::ClusterStatusRequest(), &response),
                             "coordinator " + addresses_[i]);
    if (s.ok() && response.active()) return response;
    if (s.ok() || !last.ok()) last = s.ok() ? StatusOr<rpc::ClusterStatusResponse>(response) : StatusOr<rpc::ClusterStatusResponse>(s);
  }
  return last;
}

Status CoordinatorClient::ReadOutput(const std::string& job_id, std::FILE* out) {
  rpc::ReadOutputRequest request;
  request.set_job_id(job_id);
  uint64_t written = 0;
  return Invoke(std::chrono::hours(1), [&](rpc::Coordinator::Stub& stub, grpc::ClientContext* ctx) {
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

StatusOr<rpc::JobStatus> CoordinatorClient::Wait(const std::string& job_id, bool show_progress, int poll_ms) {
  const bool tty = show_progress && ::isatty(STDERR_FILENO);
  std::string last_line;
  int failures = 0;
  while (true) {
    StatusOr<rpc::JobStatus> job = GetJob(job_id, false);
    if (!job.ok()) {
      // Ride out a short outage (e.g. a coordinator failover); give up after about a minute.
      if (++failures > 60 || job.status().code() == StatusCode::kNotFound) return job.status();
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    failures = 0;
    if (show_progress) {
      std::string line = fmt::format("{}: {} | map {}/{} | reduce {}/{}", job_id, StateName(job->state()),
                                     job->maps_done(), job->maps_total(), job->reduces_done(), job->reduces_total());
      if (line != last_line) {
        std::fprintf(stderr, tty ? "\r%s\033[K" : "%s\n", line.c_str());
        last_line = line;
      }
    }
    if (IsFinal(job->state())) {
      if (tty) std::fputc('\n', stderr);
      return GetJob(job_id, /*with_tasks=*/true);  // the final word, with every attempt
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
}

bool IsFinal(rpc::JobState state) {
  return state == rpc::SUCCEEDED || state == rpc::FAILED || state == rpc::CANCELLED;
}

std::string DescribeJob(const rpc::JobStatus& job, bool with_tasks) {
  std::string out = fmt::format("job {} ({}): {}\n", job.job_id(), job.spec().plugin(), StateName(job.state()));
  const double end = job.end_unix() > 0 ? job.end_unix()
                                        : std::chrono::duration<double>(
                                              std::chrono::system_clock::now().time_since_epoch()).count();
  out += fmt::format("  elapsed: {:.2f} s\n", end - job.submit_unix());
  out += fmt::format("  map tasks: {}/{} done, reduce tasks: {}/{} done\n", job.maps_done(), job.maps_total(),
                     job.reduces_done(), job.reduces_total());
  out += fmt::format("  input: {} ({} records, {})\n", job.spec().input_uri(), job.input_records(),
                     HumanBytes(job.input_bytes()));
  out += fmt::format("  output: {} ({} records)\n", job.output_location(), job.output_records());
  for (const rpc::Counter& c : job.counters()) out += fmt::format("  counter {}: {}\n", c.name(), c.value());
  for (const rpc::ShardReport& s : job.shards()) {
    out += fmt::format("  shard {}: {} documents read, {} orphans skipped, {}, {} map tasks on {}, {}\n", s.shard(),
                       s.documents_read(), s.orphans_skipped(), HumanBytes(s.bytes()), s.map_tasks(),
                       fmt::join(s.workers(), ","), s.all_local() ? "read locally" : "read remotely");
  }
  if (!job.error().empty()) out += "  error: " + job.error() + "\n";
  if (!with_tasks) return out;
  for (const rpc::TaskStatus& t : job.tasks()) {
    out += fmt::format("  {} {} [{}] {}\n", t.kind() == rpc::MAP ? "map" : "reduce", t.task(),
                       rpc::TaskState_Name(t.state()), t.input());
    for (const rpc::AttemptStatus& a : t.attempts()) {
      out += fmt::format("    attempt {} on {} ({}): {}{}{}\n", a.attempt(), a.worker_id(), a.worker_address(),
                         a.state(), a.error().empty() ? "" : ": ", a.error());
    }
  }
  return out;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

}  // namespace aviary::cli
