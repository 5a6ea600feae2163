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

CoordinatorClient::CoordinatorClient(const std::string& address)
    : address_(address), stub_(rpc::Coordinator::NewStub(rpc::MakeChannel(address))) {}

StatusOr<std::string> CoordinatorClient::Submit(const rpc::JobSpec& spec) {
  grpc::ClientContext context;
  rpc::PrepareContext(&context, std::chrono::minutes(5));  // planning a big input takes a while
  rpc::SubmitJobRequest request;
  *request.mutable_job() = spec;
  rpc::SubmitJobResponse response;
  RETURN_IF_ERROR(rpc::FromGrpc(stub_->SubmitJob(&context, request, &response), "coordinator " + address_));
  return response.job_id();
}

StatusOr<rpc::JobStatus> CoordinatorClient::GetJob(const std::string& job_id, bool with_tasks) {
  grpc::ClientContext context;
  rpc::PrepareContext(&context, kRpcTimeout);
  rpc::GetJobRequest request;
  request.set_job_id(job_id);
  request.set_with_tasks(with_tasks);
  rpc::JobStatus response;
  RETURN_IF_ERROR(rpc::FromGrpc(stub_->GetJob(&context, request, &response), "coordinator " + address_));
  return response;
}

StatusOr<std::vector<rpc::JobStatus>> CoordinatorClient::ListJobs() {
  grpc::ClientContext context;
  rpc::PrepareContext(&context, kRpcTimeout);
  rpc::ListJobsResponse response;
  RETURN_IF_ERROR(rpc::FromGrpc(stub_->ListJobs(&context, rpc::ListJobsRequest(), &response), "coordinator " + address_));
  return std::vector<rpc::JobStatus>(response.jobs().begin(), response.jobs().end());
}

Status CoordinatorClient::Cancel(const std::string& job_id) {
  grpc::ClientContext context;
  rpc::PrepareContext(&context, kRpcTimeout);
  rpc::CancelJobRequest request;
  request.set_job_id(job_id);
  rpc::CancelJobResponse response;
  return rpc::FromGrpc(stub_->CancelJob(&context, request, &response), "coordinator " + address_);
}

StatusOr<rpc::ClusterStatusResponse> CoordinatorClient::ClusterStatus() {
  grpc::ClientContext context;
  rpc::PrepareContext(&context, kRpcTimeout);
  rpc::ClusterStatusResponse response;
  RETURN_IF_ERROR(rpc::FromGrpc(stub_->ClusterStatus(&context, rpc::ClusterStatusRequest(), &response),
                                "coordinator " + address_));
  return response;
}

Status CoordinatorClient::ReadOutput(const std::string& job_id, std::FILE* out) {
  grpc::ClientContext context;
  rpc::PrepareContext(&context, std::chrono::hours(1));
  rpc::ReadOutputRequest request;
  request.set_job_id(job_id);
  auto reader = stub_->ReadOutput(&context, request);
  rpc::DataChunk chunk;
  while (reader->Read(&chunk)) std::fwrite(chunk.data().data(), 1, chunk.data().size(), out);
  std::fflush(out);
  return rpc::FromGrpc(reader->Finish(), "coordinator " + address_);
}

StatusOr<rpc::JobStatus> CoordinatorClient::Wait(const std::string& job_id, bool show_progress) {
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
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
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
