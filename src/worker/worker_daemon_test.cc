// The worker daemon against a coordinator that lies: it assigns a task whose job names one
// plugin hash and then serves a library with another. The worker must refuse to run it.
#include "worker/worker_daemon.h"

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <atomic>
#include <mutex>
#include <thread>

#include "plugin/plugin.h"
#include "rpc/aviary.grpc.pb.h"
#include "rpc/fake_network.h"

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
  rpc::FakeNetwork network;
  network.Serve("coordinator:1", &coordinator);

  WorkerOptions options;
  options.coordinator = "coordinator:1";
  options.data_dir = (data_dir / "worker").string();
  options.runner_exe = "/nonexistent/aviary";  // nothing may be started anyway
  options.register_timeout_us = 10'000'000;
  WorkerDaemon daemon(Env::Default(), options, &network);
  ASSERT_TRUE(daemon.Start().ok());
  std::thread runner([&daemon] { EXPECT_TRUE(daemon.Run().ok()); });

  std::vector<rpc::TaskResult> finished;
  for (int i = 0; i < 500 && finished.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    finished = coordinator.finished();
  }
  daemon.Stop();
  runner.join();

  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].job_id(), "job-test-1");
  EXPECT_NE(finished[0].error().find("plugin library hash mismatch"), std::string::npos) << finished[0].error();
  EXPECT_NE(finished[0].error().find(claimed), std::string::npos) << finished[0].error();
  EXPECT_EQ(coordinator.plugin_fetches(), 1);
  // Nothing of the refused library stays where the next task would find it.
  EXPECT_FALSE(std::filesystem::exists(data_dir / "worker" / "plugins" / (claimed + ".so")));
  std::filesystem::remove_all(data_dir);
}

// A coordinator that only counts registrations and heartbeats; `active` false makes it a standby,
// which refuses everything with UNAVAILABLE as the real one does until it holds the lease.
class CountingCoordinator final : public rpc::Coordinator::Service {
 public:
  explicit CountingCoordinator(bool active) : active_(active) {}

  grpc::Status RegisterWorker(grpc::ServerContext*, const rpc::RegisterWorkerRequest*,
                              rpc::RegisterWorkerResponse* response) override {
    ++registrations;
    if (!active_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "standby coordinator is not active");
    response->set_worker_id("w1-test");
    response->set_heartbeat_ms(10);
    return grpc::Status::OK;
  }

  grpc::Status Heartbeat(grpc::ServerContext*, const rpc::HeartbeatRequest*, rpc::HeartbeatResponse*) override {
    ++heartbeats;
    if (!active_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "standby coordinator is not active");
    return grpc::Status::OK;
  }

  std::atomic<int> registrations{0};
  std::atomic<int> heartbeats{0};

 private:
  const bool active_;
};

// The worker goes through the client library's address list: an unreachable coordinator and a
// standby are passed over, and the active one gets the registration and the heartbeats.
TEST(WorkerDaemonTest, RegistersWithTheActiveCoordinatorOfTheList) {
  const std::filesystem::path data_dir =
      std::filesystem::temp_directory_path() / ("worker-daemon-failover-test-" + std::to_string(::getpid()));
  CountingCoordinator standby(false), active(true);
  rpc::FakeNetwork network;
  network.Serve("standby:1", &standby);
  network.Serve("active:1", &active);
  WorkerOptions options;
  options.coordinator = "gone:1,standby:1,active:1";
  options.data_dir = (data_dir / "worker").string();
  options.runner_exe = "/nonexistent/aviary";
  WorkerDaemon daemon(Env::Default(), options, &network);
  ASSERT_TRUE(daemon.Start().ok());
  std::thread runner([&daemon] { EXPECT_TRUE(daemon.Run().ok()); });
  for (int i = 0; i < 1000 && active.heartbeats < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  daemon.Stop();
  runner.join();
  EXPECT_EQ(standby.registrations, 1);
  EXPECT_EQ(active.registrations, 1);
  EXPECT_GE(active.heartbeats, 3);
  EXPECT_EQ(standby.heartbeats, 0);  // the worker stays with the coordinator that answered
  std::filesystem::remove_all(data_dir);
}

// A coordinator that restarted without a metadata store: it no longer knows the worker, and
// answers its heartbeats with "re-register" until it does.
class ForgetfulCoordinator final : public rpc::Coordinator::Service {
 public:
  grpc::Status RegisterWorker(grpc::ServerContext*, const rpc::RegisterWorkerRequest*,
                              rpc::RegisterWorkerResponse* response) override {
    response->set_worker_id("w" + std::to_string(++registrations) + "-test");
    response->set_heartbeat_ms(10);
    return grpc::Status::OK;
  }

  grpc::Status Heartbeat(grpc::ServerContext*, const rpc::HeartbeatRequest* request,
                         rpc::HeartbeatResponse* response) override {
    if (forget && request->worker_id() == "w1-test") response->set_reregister(true);
    ++heartbeats;
    return grpc::Status::OK;
  }

  std::atomic<bool> forget{false};
  std::atomic<int> registrations{0};
  std::atomic<int> heartbeats{0};
};

// The map outputs of the identity the coordinator forgot are nobody's: no task will ask for
// them again, so they go when the worker re-registers instead of filling its disk.
TEST(WorkerDaemonTest, DropsMapOutputsWhenTheCoordinatorForgetsIt) {
  const std::filesystem::path data_dir =
      std::filesystem::temp_directory_path() / ("worker-daemon-forget-test-" + std::to_string(::getpid()));
  ForgetfulCoordinator coordinator;
  rpc::FakeNetwork network;
  network.Serve("coordinator:1", &coordinator);
  WorkerOptions options;
  options.coordinator = "coordinator:1";
  options.data_dir = (data_dir / "worker").string();
  options.runner_exe = "/nonexistent/aviary";
  WorkerDaemon daemon(Env::Default(), options, &network);
  ASSERT_TRUE(daemon.Start().ok());
  struct stat st {};
  ASSERT_EQ(::lstat((data_dir / "worker" / "jobs").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "map outputs hold other users' data";
  const std::filesystem::path old_output = data_dir / "worker" / "jobs" / "job-lost" / "map-00000-1";
  std::filesystem::create_directories(old_output);
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), (old_output / "part-00000").string(), "map output").ok());

  std::thread runner([&daemon] { EXPECT_TRUE(daemon.Run().ok()); });
  for (int i = 0; i < 1000 && coordinator.heartbeats < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(std::filesystem::exists(old_output)) << "kept while the coordinator knows the worker";
  coordinator.forget = true;
  for (int i = 0; i < 1000 && coordinator.registrations < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (int i = 0; i < 1000 && std::filesystem::exists(old_output); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  daemon.Stop();
  runner.join();
  EXPECT_EQ(coordinator.registrations, 2);
  EXPECT_FALSE(std::filesystem::exists(data_dir / "worker" / "jobs" / "job-lost"));
  EXPECT_TRUE(std::filesystem::is_directory(data_dir / "worker" / "jobs"));
  std::filesystem::remove_all(data_dir);
}

}  // namespace
}  // namespace aviary::worker
