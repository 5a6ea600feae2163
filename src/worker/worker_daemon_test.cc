// The worker daemon against a coordinator that lies: it assigns a task whose job names one
// plugin hash and then serves a library with another. The worker must refuse to run it.
#include "worker/worker_daemon.h"

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <atomic>
#include <mutex>
#include <thread>

#include "plugin/plugin.h"
#include "rpc/aviary.grpc.pb.h"

namespace aviary::worker {
namespace {

class LyingCoordinator final : public rpc::Coordinator::Service {
 public:
  LyingCoordinator(std::string claimed_sha256, std::string served_library)
      : claimed_sha256_(std::move(claimed_sha256)), served_library_(std::move(served_library)) {}

  grpc::Status RegisterWorker(grpc::ServerContext*, const rpc::RegisterWorkerRequest*,
                              rpc::RegisterWorkerResponse* response) override {
    response->set_worker_id("w1-test");
    response->set_heartbeat_ms(10);
    return grpc::Status::OK;
  }

  grpc::Status Heartbeat(grpc::ServerContext*, const rpc::HeartbeatRequest* request,
                         rpc::HeartbeatResponse* response) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const rpc::TaskResult& r : request->finished()) finished_.push_back(r);
    if (!assigned_) {
      assigned_ = true;
      rpc::TaskSpec* task = response->add_assignments();
      task->set_job_id("job-test-1");
      task->set_kind(rpc::MAP);
      task->set_attempt(1);
      task->set_num_partitions(1);
      task->mutable_job()->set_name("evil");
      task->mutable_job()->set_plugin_sha256(claimed_sha256_);
    }
    return grpc::Status::OK;
  }

  grpc::Status FetchPlugin(grpc::ServerContext*, const rpc::FetchPluginRequest*,
                           grpc::ServerWriter<rpc::DataChunk>* writer) override {
    ++plugin_fetches_;
    rpc::DataChunk chunk;
    chunk.set_data(served_library_);
    writer->Write(chunk);
    return grpc::Status::OK;
  }

  std::vector<rpc::TaskResult> finished() {
    std::lock_guard<std::mutex> lock(mu_);
    return finished_;
  }
  int plugin_fetches() const { return plugin_fetches_; }

 private:
  const std::string claimed_sha256_;
  const std::string served_library_;
  std::mutex mu_;
  bool assigned_ = false;                // GUARDED_BY(mu_)
  std::vector<rpc::TaskResult> finished_;  // GUARDED_BY(mu_)
  std::atomic<int> plugin_fetches_{0};
};

TEST(WorkerDaemonTest, RefusesAPluginWhoseHashDiffersFromTheJobs) {
  const std::filesystem::path data_dir =
      std::filesystem::temp_directory_path() / ("worker-daemon-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(data_dir);
  const std::string submitted = (data_dir / "submitted.so").string();
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), submitted, "the library the user submitted").ok());
  StatusOr<std::string> claimed_or = Sha256File(submitted);
  ASSERT_TRUE(claimed_or.ok());
  const std::string claimed = *claimed_or;
  LyingCoordinator coordinator(claimed, "a different library, served in its place");
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&coordinator);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(port, 0);

  WorkerOptions options;
  options.coordinator = "127.0.0.1:" + std::to_string(port);
  options.data_dir = (data_dir / "worker").string();
  options.runner_exe = "/nonexistent/aviary";  // nothing may be started anyway
  options.register_timeout_us = 10'000'000;
  WorkerDaemon daemon(Env::Default(), options);
  ASSERT_TRUE(daemon.Start().ok());
  std::thread runner([&daemon] { EXPECT_TRUE(daemon.Run().ok()); });

  std::vector<rpc::TaskResult> finished;
  for (int i = 0; i < 500 && finished.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    finished = coordinator.finished();
  }
  daemon.Stop();
  runner.join();
  server->Shutdown();

  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].job_id(), "job-test-1");
  EXPECT_NE(finished[0].error().find("plugin library hash mismatch"), std::string::npos) << finished[0].error();
  EXPECT_NE(finished[0].error().find(claimed), std::string::npos) << finished[0].error();
  EXPECT_EQ(coordinator.plugin_fetches(), 1);
  // Nothing of the refused library stays where the next task would find it.
  EXPECT_FALSE(std::filesystem::exists(data_dir / "worker" / "plugins" / (claimed + ".so")));
  std::filesystem::remove_all(data_dir);
}

}  // namespace
}  // namespace aviary::worker
