#include "coordinator/server.h"

#include <spdlog/spdlog.h>

#include "rpc/aviary.grpc.pb.h"
#include "rpc/grpc_util.h"
#include "rpc/auth.h"

namespace aviary::coordinator {

class CoordinatorServer::Service final : public rpc::Coordinator::Service {
  static constexpr size_t kChunk = 1 << 20;

 public:
  explicit Service(JobTracker* tracker) : tracker_(tracker) {}

  grpc::Status RegisterWorker(grpc::ServerContext* ctx, const rpc::RegisterWorkerRequest* request,
                              rpc::RegisterWorkerResponse* response) override {
    if (auto s = rpc::CheckAuth(ctx, "RegisterWorker"); !s.ok()) return rpc::ToGrpc(s);
    *response = tracker_->RegisterWorker(*request);
    return grpc::Status::OK;
  }

  grpc::Status Heartbeat(grpc::ServerContext* ctx, const rpc::HeartbeatRequest* request,
                         rpc::HeartbeatResponse* response) override {
    if (auto s = rpc::CheckAuth(ctx, "Heartbeat"); !s.ok()) return rpc::ToGrpc(s);
    *response = tracker_->Heartbeat(*request);
    return grpc::Status::OK;
  }

  grpc::Status SubmitJob(grpc::ServerContext* ctx, const rpc::SubmitJobRequest* request,
                         rpc::SubmitJobResponse* response) override {
    if (auto s = rpc::CheckAuth(ctx, "SubmitJob"); !s.ok()) return rpc::ToGrpc(s);
    StatusOr<std::string> id = tracker_->Submit(request->job());
    if (!id.ok()) return rpc::ToGrpc(id.status());
    response->set_job_id(*id);
    return grpc::Status::OK;
  }

  grpc::Status GetJob(grpc::ServerContext* ctx, const rpc::GetJobRequest* request, rpc::JobStatus* response) override {
    if (auto s = rpc::CheckAuth(ctx, "GetJob"); !s.ok()) return rpc::ToGrpc(s);
    StatusOr<rpc::JobStatus> status = tracker_->GetJob(request->job_id(), request->with_tasks());
    if (!status.ok()) return rpc::ToGrpc(status.status());
    *response = std::move(status).value();
    return grpc::Status::OK;
  }

  grpc::Status ListJobs(grpc::ServerContext* ctx, const rpc::ListJobsRequest*, rpc::ListJobsResponse* response) override {
    if (auto s = rpc::CheckAuth(ctx, "ListJobs"); !s.ok()) return rpc::ToGrpc(s);
    for (auto& job : tracker_->ListJobs()) *response->add_jobs() = std::move(job);
    return grpc::Status::OK;
  }

  grpc::Status CancelJob(grpc::ServerContext* ctx, const rpc::CancelJobRequest* request,
                         rpc::CancelJobResponse*) override {
    if (auto s = rpc::CheckAuth(ctx, "CancelJob"); !s.ok()) return rpc::ToGrpc(s);
    return rpc::ToGrpc(tracker_->Cancel(request->job_id()));
  }

  grpc::Status ReadOutput(grpc::ServerContext* ctx, const rpc::ReadOutputRequest* request,
                          grpc::ServerWriter<rpc::DataChunk>* writer) override {
    if (auto s = rpc::CheckAuth(ctx, "ReadOutput"); !s.ok()) return rpc::ToGrpc(s);
    StatusOr<std::vector<std::string>> files = tracker_->InlineOutputFiles(request->job_id());
    if (!files.ok()) return rpc::ToGrpc(files.status());
    std::string contents;
    for (const std::string& path : *files) {
      if (auto s = ReadFileToString(Env::Default(), path, &contents); !s.ok()) return rpc::ToGrpc(s);
      for (size_t off = 0; off < contents.size(); off += kChunk) {
        rpc::DataChunk chunk;
        chunk.set_data(contents.substr(off, kChunk));
        if (!writer->Write(chunk)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status ClusterStatus(grpc::ServerContext* ctx, const rpc::ClusterStatusRequest*,
                             rpc::ClusterStatusResponse* response) override {
    if (auto s = rpc::CheckAuth(ctx, "ClusterStatus"); !s.ok()) return rpc::ToGrpc(s);
    *response = tracker_->ClusterStatus();
    return grpc::Status::OK;
  }

 private:
  JobTracker* tracker_;  // not owned
};

CoordinatorServer::CoordinatorServer(Env* env, TrackerOptions options)
    : env_(env), tracker_(std::make_unique<JobTracker>(env, options)), service_(std::make_unique<Service>(tracker_.get())) {}

CoordinatorServer::~CoordinatorServer() { Stop(); }

Status CoordinatorServer::Start(const std::string& listen) {
  grpc::ServerBuilder builder;
  int port = 0;
  rpc::ConfigureServer(&builder, listen, &port);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || port == 0) return Unavailable("cannot listen on " + listen + " (address in use or invalid)");
  address_ = listen.substr(0, listen.rfind(':')) + ":" + std::to_string(port);
  ticker_ = std::thread([this] {
    while (!stopping_.load()) {
      tracker_->Tick();
      env_->SleepForMicros(100'000);
    }
  });
  spdlog::info("coordinator listening on {}", address_);
  return Status::OK();
}

void CoordinatorServer::Wait() {
  if (server_) server_->Wait();
}

void CoordinatorServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  if (ticker_.joinable()) ticker_.join();
}

}  // namespace aviary::coordinator
