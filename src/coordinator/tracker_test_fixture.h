// The tracker under test, with a fake clock, a scratch input of four small files, and helpers
// that play the workers' part (registering, heartbeats, results). Shared by the tests of the
// tracker and of its parts. Not part of any library.
#ifndef AVIARY_COORDINATOR_TRACKER_TEST_FIXTURE_H_
#define AVIARY_COORDINATOR_TRACKER_TEST_FIXTURE_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "common/fake_clock_env.h"
#include "coordinator/job_tracker.h"

namespace aviary::coordinator {

class JobTrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tracker_test_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "in");
    for (int i = 0; i < 4; ++i) std::ofstream(dir_ / "in" / ("f" + std::to_string(i) + ".txt")) << "a b c\n";
    options_.worker_timeout_us = 5'000'000;
    options_.attempt_timeout_us = 20'000'000;
    options_.max_attempts = 3;
    tracker_ = std::make_unique<JobTracker>(&env_, options_);
  }
  // Replaces the tracker by one that writes through to `store` as the coordinator of `term`.
  void UseStore(MetadataStore* store, uint64_t term) {
    tracker_ = std::make_unique<JobTracker>(&env_, options_, store, term);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string AddWorker(const std::string& address) {
    rpc::RegisterWorkerRequest request;
    request.set_address(address);
    request.set_slots(2);
    return tracker_->RegisterWorker(request).worker_id();
  }

  std::string SubmitJob(uint32_t maps, uint32_t reduces, const std::string& output = "") {
    rpc::JobSpec spec;
    spec.set_plugin("wordcount");
    spec.set_input_uri("files:" + (dir_ / "in" / "*.txt").string());
    spec.set_output_uri(output.empty() ? "files:" + (dir_ / "out").string() : output);
    spec.set_map_tasks(maps);
    spec.set_reduce_tasks(reduces);
    StatusOr<std::string> id = tracker_->Submit(spec);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }

  rpc::HeartbeatResponse Beat(const std::string& worker, uint32_t free_slots, std::vector<rpc::TaskResult> finished = {}) {
    rpc::HeartbeatRequest request;
    request.set_worker_id(worker);
    request.set_free_slots(free_slots);
    for (auto& r : finished) *request.add_finished() = r;
    return tracker_->Heartbeat(request);
  }

  // A successful result for `spec`; reduce outputs are real files so the commit can promote them.
  rpc::TaskResult Success(const rpc::TaskSpec& spec) {
    rpc::TaskResult r;
    r.set_job_id(spec.job_id());
    r.set_kind(spec.kind());
    r.set_task(spec.task());
    r.set_attempt(spec.attempt());
    r.set_ok(true);
    if (spec.kind() == rpc::REDUCE) {
      auto output = OutputFormat::ForJob(spec.job(), Env::Default());
      EXPECT_TRUE(output.ok());
      auto writer = (*output)->OpenTaskWriter(spec.job_id(), spec.task(), spec.attempt());
      EXPECT_TRUE(writer.ok()) << writer.status().ToString();
      int64_t one = 1;
      EXPECT_TRUE((*writer)->Write(ValueView::String("a"), ValueView::Int64(one)).ok());
      EXPECT_TRUE((*writer)->Close().ok());
      r.set_output_location((*writer)->location());
    }
    return r;
  }

  rpc::TaskResult Failure(const rpc::TaskSpec& spec, const std::string& error) {
    rpc::TaskResult r = Success(spec);
    r.set_ok(false);
    r.set_error(error);
    return r;
  }

  rpc::JobState State(const std::string& id) { return tracker_->GetJob(id, false)->state(); }

  // A heartbeat from a worker with nothing running that lets the tracker hold it for work, on
  // another thread; returns once the tracker holds it (or it was answered at once).
  std::future<rpc::HeartbeatResponse> HeldBeat(const std::string& worker, uint32_t free_slots) {
    const uint32_t held_before = tracker_->HeldHeartbeats();
    std::future<rpc::HeartbeatResponse> beat = std::async(std::launch::async, [this, worker, free_slots] {
      rpc::HeartbeatRequest request;
      request.set_worker_id(worker);
      request.set_free_slots(free_slots);
      request.set_hold_ms(600'000);
      return tracker_->Heartbeat(request);
    });
    while (tracker_->HeldHeartbeats() == held_before &&
           beat.wait_for(std::chrono::milliseconds(1)) == std::future_status::timeout) {
    }
    return beat;
  }
  // Its answer; fails (and lets it go) if it is still held: the hold is 10 minutes here, and
  // what a test waits for takes microseconds.
  rpc::HeartbeatResponse Answer(std::future<rpc::HeartbeatResponse>& beat) {
    if (beat.wait_for(std::chrono::seconds(30)) == std::future_status::timeout) {
      ADD_FAILURE() << "the heartbeat is still held";
      tracker_->ReleaseHeldHeartbeats();
    }
    return beat.get();
  }

  FakeClockEnv env_;
  TrackerOptions options_;
  std::filesystem::path dir_;
  std::unique_ptr<JobTracker> tracker_;
};

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_TRACKER_TEST_FIXTURE_H_
