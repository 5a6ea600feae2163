#include "coordinator/job_tracker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "coordinator/forwarding_store.h"
#include "coordinator/tracker_test_fixture.h"

namespace aviary::coordinator {
namespace {

TEST_F(JobTrackerTest, RunsMapsThenReducesThenCommits) {
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(4, 2);
  auto r1 = Beat(w, 2);
  ASSERT_EQ(r1.assignments_size(), 2);
  EXPECT_EQ(r1.assignments(0).kind(), rpc::MAP);
  auto r2 = Beat(w, 2, {Success(r1.assignments(0)), Success(r1.assignments(1))});
  ASSERT_EQ(r2.assignments_size(), 2);
  EXPECT_EQ(r2.assignments(0).kind(), rpc::MAP);
  // No reduce before every map is done.
  auto r3 = Beat(w, 2, {Success(r2.assignments(0))});
  ASSERT_EQ(r3.assignments_size(), 0);
  auto r4 = Beat(w, 2, {Success(r2.assignments(1))});
  ASSERT_EQ(r4.assignments_size(), 2);
  EXPECT_EQ(r4.assignments(0).kind(), rpc::REDUCE);
  int map_outputs = 0;
  for (const rpc::MapOutputHost& host : r4.assignments(0).map_output_hosts()) map_outputs += host.map_tasks_size();
  EXPECT_EQ(map_outputs, 4);
  EXPECT_EQ(State(job), rpc::REDUCING);
  Beat(w, 2, {Success(r4.assignments(0)), Success(r4.assignments(1))});
  tracker_->Tick();
  EXPECT_EQ(State(job), rpc::SUCCEEDED);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "out" / "_SUCCESS"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "out" / "part-00001.jsonl"));
}

// Whether a map attempt is told to compress, as its workers' hosts and the option decide.
TEST_F(JobTrackerTest, MapOutputIsCompressedOnlyWhenWorkersSpanHosts) {
  int jobs = 0;
  // Runs a one-map job to its end; whether its map was told not to compress.
  const auto map_uncompressed = [&](const std::string& worker) {
    SubmitJob(1, 1, "files:" + (dir_ / ("out" + std::to_string(++jobs))).string());
    const rpc::HeartbeatResponse map = Beat(worker, 1);
    if (map.assignments_size() != 1 || map.assignments(0).kind() != rpc::MAP) {
      ADD_FAILURE() << "expected one map task";
      return false;
    }
    const rpc::HeartbeatResponse reduce = Beat(worker, 1, {Success(map.assignments(0))});
    EXPECT_EQ(reduce.assignments_size(), 1);
    if (reduce.assignments_size() == 1) Beat(worker, 1, {Success(reduce.assignments(0))});
    return map.assignments(0).uncompressed_map_output();
  };
  const std::string a = AddWorker("127.0.0.1:1");
  AddWorker("127.0.0.1:2");
  EXPECT_TRUE(map_uncompressed(a));  // one host: no fetch crosses a network
  AddWorker("[::1]:3");
  EXPECT_FALSE(map_uncompressed(a));  // another host (by name): compressed from then on

  for (const auto& [mode, uncompressed] : {std::pair{ShuffleCompression::kLz4, false},
                                           std::pair{ShuffleCompression::kNone, true}}) {
    options_.shuffle_compression = mode;
    tracker_ = std::make_unique<JobTracker>(&env_, options_);
    const std::string w = AddWorker("127.0.0.1:1");
    EXPECT_EQ(map_uncompressed(w), uncompressed);
  }
}

TEST_F(JobTrackerTest, AJobSubmittedBeforeItsWorkersIsPlannedForTheExpectedSlots) {
  // A private cluster submits while its workers start: no slot is live, yet the job gets a
  // reduce per slot to come, and the first worker's first heartbeat brings map tasks.
  options_.expected_slots = 4;
  tracker_ = std::make_unique<JobTracker>(&env_, options_);
  std::string job = SubmitJob(/*maps=*/0, /*reduces=*/0);
  rpc::JobStatus status = *tracker_->GetJob(job, false);
  EXPECT_EQ(status.reduces_total(), 4u);
  std::string w = AddWorker("127.0.0.1:1");  // 2 slots: fewer than expected, the plan stands
  const rpc::HeartbeatResponse first = Beat(w, 2);
  ASSERT_EQ(first.assignments_size(), 1);  // the input is 24 bytes: one map task
  EXPECT_EQ(first.assignments(0).kind(), rpc::MAP);
  EXPECT_EQ(tracker_->GetJob(job, false)->reduces_total(), 4u);

  // Without the option, the live slots decide: none here, so one reduce.
  options_.expected_slots = 0;
  tracker_ = std::make_unique<JobTracker>(&env_, options_);
  EXPECT_EQ(tracker_->GetJob(SubmitJob(0, 0), false)->reduces_total(), 1u);
}

TEST_F(JobTrackerTest, AHeldHeartbeatIsAnsweredWithTheFirstTaskThatBecomesReady) {
  options_.heartbeat_ms = 600'000;  // bounds the hold; never reached here
  tracker_ = std::make_unique<JobTracker>(&env_, options_);
  const std::string busy = AddWorker("127.0.0.1:1");
  const std::string idle = AddWorker("127.0.0.1:2");

  // Held before there is any job; the submission wakes it with the job's maps.
  std::future<rpc::HeartbeatResponse> first = HeldBeat(busy, 2);
  EXPECT_EQ(tracker_->HeldHeartbeats(), 1u);
  std::string job = SubmitJob(2, 1);
  const rpc::HeartbeatResponse maps = Answer(first);
  ASSERT_EQ(maps.assignments_size(), 2);
  EXPECT_EQ(tracker_->HeldHeartbeats(), 0u);

  // The other worker is held while the maps run; the first map's end readies nothing, so it
  // stays held; the last map's end readies the reduce, which goes to it.
  std::future<rpc::HeartbeatResponse> second = HeldBeat(idle, 2);
  EXPECT_EQ(Beat(busy, 0, {Success(maps.assignments(0))}).assignments_size(), 0);
  EXPECT_EQ(second.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  EXPECT_EQ(Beat(busy, 0, {Success(maps.assignments(1))}).assignments_size(), 0);
  const rpc::HeartbeatResponse reduce = Answer(second);
  ASSERT_EQ(reduce.assignments_size(), 1);
  EXPECT_EQ(reduce.assignments(0).kind(), rpc::REDUCE);
  EXPECT_EQ(State(job), rpc::REDUCING);
}

TEST_F(JobTrackerTest, HeartbeatsAreHeldOnlyForIdleWorkersAndReleasedForGood) {
  options_.heartbeat_ms = 600'000;
  tracker_ = std::make_unique<JobTracker>(&env_, options_);
  const std::string w = AddWorker("127.0.0.1:1");
  SubmitJob(1, 1);
  const rpc::HeartbeatResponse map = Beat(w, 2);
  ASSERT_EQ(map.assignments_size(), 1);

  // A worker that has an attempt running is answered at once, even when it allows a hold:
  // it must get back to watching that attempt.
  rpc::HeartbeatRequest running;
  running.set_worker_id(w);
  running.set_free_slots(1);
  running.set_hold_ms(600'000);
  rpc::RunningAttempt* attempt = running.add_running();
  attempt->set_job_id(map.assignments(0).job_id());
  attempt->set_kind(rpc::MAP);
  attempt->set_task(0);
  attempt->set_attempt(map.assignments(0).attempt());
  std::future<rpc::HeartbeatResponse> busy = std::async(std::launch::async, [&] { return tracker_->Heartbeat(running); });
  EXPECT_EQ(Answer(busy).assignments_size(), 0);

  // Nor is a worker that reports a reduce's end: that may end the job, whose commit the server
  // starts once the heartbeat is answered.
  rpc::HeartbeatRequest ended;
  ended.set_worker_id(w);
  ended.set_free_slots(2);
  ended.set_hold_ms(600'000);
  const rpc::HeartbeatResponse reduce = Beat(w, 1, {Success(map.assignments(0))});
  ASSERT_EQ(reduce.assignments_size(), 1);
  *ended.add_finished() = Success(reduce.assignments(0));
  std::future<rpc::HeartbeatResponse> last = std::async(std::launch::async, [&] { return tracker_->Heartbeat(ended); });
  EXPECT_EQ(Answer(last).assignments_size(), 0);

  // An idle worker with nothing to do is held until the server stops, then answered empty;
  // after that no heartbeat is held.
  std::future<rpc::HeartbeatResponse> idle = HeldBeat(w, 1);
  EXPECT_EQ(tracker_->HeldHeartbeats(), 1u);
  tracker_->ReleaseHeldHeartbeats();
  EXPECT_EQ(Answer(idle).assignments_size(), 0);
  std::future<rpc::HeartbeatResponse> later = HeldBeat(w, 1);
  EXPECT_EQ(Answer(later).assignments_size(), 0);
  EXPECT_EQ(tracker_->HeldHeartbeats(), 0u);
}

// A client waiting for a job's end hears of it when the commit is applied, not at its next
// poll; a hold ends early for a job that is already over, and for good when the server stops.
TEST_F(JobTrackerTest, AHeldGetJobIsAnsweredWhenItsJobEnds) {
  options_.heartbeat_ms = 600'000;  // a hold this long would fail the test if nothing woke it
  tracker_ = std::make_unique<JobTracker>(&env_, options_);
  const std::string w = AddWorker("127.0.0.1:1");
  const std::string job = SubmitJob(1, 1);
  const auto held_read = [&](const std::string& id) {
    std::future<StatusOr<rpc::JobStatus>> read =
        std::async(std::launch::async, [this, id] { return tracker_->GetJob(id, false, 600'000); });
    while (tracker_->HeldJobReads() == 0 && read.wait_for(std::chrono::milliseconds(1)) == std::future_status::timeout) {
    }
    return read;
  };
  const auto answer = [&](std::future<StatusOr<rpc::JobStatus>>& read) {
    if (read.wait_for(std::chrono::seconds(30)) == std::future_status::timeout) {
      ADD_FAILURE() << "the read is still held";
      tracker_->ReleaseHeldHeartbeats();
    }
    return read.get();
  };
  std::future<StatusOr<rpc::JobStatus>> read = held_read(job);
  EXPECT_EQ(tracker_->HeldJobReads(), 1u);
  const rpc::HeartbeatResponse map = Beat(w, 2);
  ASSERT_EQ(map.assignments_size(), 1);
  const rpc::HeartbeatResponse reduce = Beat(w, 2, {Success(map.assignments(0))});
  ASSERT_EQ(reduce.assignments_size(), 1);
  Beat(w, 2, {Success(reduce.assignments(0))});
  EXPECT_EQ(tracker_->HeldJobReads(), 1u);  // all tasks done, but not committed yet
  tracker_->Tick();
  StatusOr<rpc::JobStatus> ended = answer(read);
  ASSERT_TRUE(ended.ok()) << ended.status().ToString();
  EXPECT_EQ(ended->state(), rpc::SUCCEEDED);
  EXPECT_EQ(tracker_->HeldJobReads(), 0u);

  // Over already: answered at once. An unknown job: NotFound at once.
  std::future<StatusOr<rpc::JobStatus>> again = held_read(job);
  EXPECT_EQ(answer(again)->state(), rpc::SUCCEEDED);
  EXPECT_EQ(tracker_->GetJob("job-nope", false, 600'000).status().code(), StatusCode::kNotFound);

  // A job still running, when the server stops: answered as it is, and none held after.
  const std::string other = SubmitJob(1, 1, "files:" + (dir_ / "other").string());
  std::future<StatusOr<rpc::JobStatus>> running = held_read(other);
  EXPECT_EQ(tracker_->HeldJobReads(), 1u);
  tracker_->ReleaseHeldHeartbeats();
  EXPECT_EQ(answer(running)->state(), rpc::MAPPING);
  EXPECT_EQ(tracker_->GetJob(other, false, 600'000)->state(), rpc::MAPPING);
  EXPECT_EQ(tracker_->HeldJobReads(), 0u);
}

TEST_F(JobTrackerTest, AnInlineResultIsHandedOutOnceThenRemoved) {
  options_.inline_dir = (dir_ / "inline").string();
  std::filesystem::create_directories(options_.inline_dir);
  tracker_ = std::make_unique<JobTracker>(&env_, options_);
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(1, 1, "inline");
  auto maps = Beat(w, 2);
  ASSERT_EQ(maps.assignments_size(), 1);
  auto reduces = Beat(w, 2, {Success(maps.assignments(0))});
  ASSERT_EQ(reduces.assignments_size(), 1);
  Beat(w, 2, {Success(reduces.assignments(0))});
  tracker_->Tick();
  ASSERT_EQ(State(job), rpc::SUCCEEDED);
  const std::filesystem::path spool = dir_ / "inline" / job;

  StatusOr<std::vector<std::string>> files = tracker_->ClaimInlineOutput(job);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_TRUE(std::filesystem::exists((*files)[0]));
  StatusOr<std::vector<std::string>> second = tracker_->ClaimInlineOutput(job);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("being read by another client"), std::string::npos);

  // A reader that went away before the end leaves it for the next one.
  tracker_->ReleaseInlineOutput(job, /*delivered=*/false);
  EXPECT_TRUE(std::filesystem::exists(spool));
  ASSERT_TRUE(tracker_->ClaimInlineOutput(job).ok());
  tracker_->ReleaseInlineOutput(job, /*delivered=*/true);
  EXPECT_FALSE(std::filesystem::exists(spool)) << "removed once a reader had it all";
  StatusOr<std::vector<std::string>> again = tracker_->ClaimInlineOutput(job);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("was read already and removed"), std::string::npos) << again.status().message();
  EXPECT_EQ(State(job), rpc::SUCCEEDED) << "the job's status stays";
}

TEST_F(JobTrackerTest, TaskLogsAreFiledFromTheWorkerThatRanTheAttemptOnly) {
  options_.task_log_dir = (dir_ / "task-logs").string();
  options_.job_retention_us = 10'000'000;
  tracker_ = std::make_unique<JobTracker>(&env_, options_);
  std::string w = AddWorker("127.0.0.1:1");
  std::string other = AddWorker("127.0.0.1:2");
  std::string job = SubmitJob(1, 1);
  auto maps = Beat(w, 2);
  ASSERT_EQ(maps.assignments_size(), 1);
  rpc::TaskResult forged = Success(maps.assignments(0));
  forged.set_output_log("not mine\n");
  Beat(other, 0, {forged});
  rpc::TaskResult real = Success(maps.assignments(0));
  real.set_output_log("map printed this\n");
  Beat(w, 0, {real});

  StatusOr<std::vector<rpc::TaskLog>> logs = tracker_->ReadTaskLogs(job, {});
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  ASSERT_EQ(logs->size(), 1u);
  EXPECT_EQ(logs->at(0).kind(), rpc::MAP);
  EXPECT_EQ(logs->at(0).text(), "map printed this\n");
  EXPECT_EQ(logs->at(0).worker(), "127.0.0.1:1");
  EXPECT_EQ(tracker_->ReadTaskLogs("job-none", {}).status().code(), StatusCode::kNotFound);

  // They go when the job leaves the list.
  ASSERT_TRUE(std::filesystem::exists(dir_ / "task-logs" / job));
  ASSERT_TRUE(tracker_->Cancel(job).ok());
  tracker_->Tick();
  env_.Advance(10'000'001);
  tracker_->Housekeep();
  EXPECT_EQ(tracker_->GetJob(job, false).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "task-logs" / job));
}

TEST_F(JobTrackerTest, DeadWorkerLosesItsMapOutputs) {
  std::string a = AddWorker("127.0.0.1:1");
  std::string b = AddWorker("127.0.0.1:2");
  std::string job = SubmitJob(2, 1);
  auto ra = Beat(a, 1);
  auto rb = Beat(b, 1);
  ASSERT_EQ(ra.assignments_size(), 1);
  ASSERT_EQ(rb.assignments_size(), 1);
  Beat(a, 1, {Success(ra.assignments(0))});
  Beat(b, 0, {Success(rb.assignments(0))});
  EXPECT_EQ(State(job), rpc::REDUCING);
  // Worker a goes silent while b keeps beating: a's map output must be redone.
  env_.Advance(6'000'000);
  Beat(b, 0);
  tracker_->Tick();
  EXPECT_EQ(State(job), rpc::MAPPING);
  auto again = Beat(b, 1);
  ASSERT_EQ(again.assignments_size(), 1);
  EXPECT_EQ(again.assignments(0).kind(), rpc::MAP);
  EXPECT_EQ(again.assignments(0).task(), ra.assignments(0).task());
  EXPECT_EQ(again.assignments(0).attempt(), 2u);
  // The dead worker is told to start afresh.
  EXPECT_TRUE(Beat(a, 1).reregister());
}

TEST_F(JobTrackerTest, FailsJobAfterMaxAttempts) {
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(1, 1);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto r = Beat(w, 1);
    ASSERT_EQ(r.assignments_size(), 1) << "attempt " << attempt;
    EXPECT_EQ(r.assignments(0).attempt(), static_cast<uint32_t>(attempt));
    Beat(w, 0, {Failure(r.assignments(0), "plugin crashed with SIGSEGV")});
  }
  tracker_->Tick();
  auto status = tracker_->GetJob(job, true);
  EXPECT_EQ(status->state(), rpc::FAILED);
  EXPECT_NE(status->error().find("map task 0 failed 3 times"), std::string::npos) << status->error();
  EXPECT_NE(status->error().find("SIGSEGV"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out" / "_SUCCESS"));
}

rpc::TaskResult UserError(rpc::TaskResult r, const std::string& function, const std::string& fingerprint) {
  r.set_user_error(true);
  r.set_user_function(function);
  r.set_error_fingerprint(fingerprint);
  return r;
}

TEST_F(JobTrackerTest, SameUserErrorTwiceFailsTheJobOnTheSecondAttempt) {
  options_.max_attempts = 4;
  tracker_ = std::make_unique<JobTracker>(&env_, options_);
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(1, 1);
  auto r1 = Beat(w, 1);
  ASSERT_EQ(r1.assignments_size(), 1);
  Beat(w, 0, {UserError(Failure(r1.assignments(0), "plugin threw in Map: first boom"), "Map", "Map: boom")});
  EXPECT_EQ(State(job), rpc::MAPPING);
  auto r2 = Beat(w, 1);
  ASSERT_EQ(r2.assignments_size(), 1);
  EXPECT_EQ(r2.assignments(0).attempt(), 2u);
  Beat(w, 0, {UserError(Failure(r2.assignments(0), "plugin threw in Map: second boom"), "Map", "Map: boom")});
  tracker_->Tick();
  auto status = tracker_->GetJob(job, true);
  EXPECT_EQ(status->state(), rpc::FAILED);
  EXPECT_NE(status->error().find("map task 0"), std::string::npos) << status->error();
  EXPECT_NE(status->error().find("Map function"), std::string::npos) << status->error();
  EXPECT_NE(status->error().find("first boom"), std::string::npos) << status->error();
}

TEST_F(JobTrackerTest, DifferentUserErrorsAndCrashesKeepTheRetryBudget) {
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(1, 1);
  auto r1 = Beat(w, 1);
  Beat(w, 0, {UserError(Failure(r1.assignments(0), "plugin threw in Map: a"), "Map", "Map: a")});
  auto r2 = Beat(w, 1);
  ASSERT_EQ(r2.assignments_size(), 1);
  Beat(w, 0, {Failure(r2.assignments(0), "task process killed by SIGKILL")});  // not user code
  auto r3 = Beat(w, 1);
  ASSERT_EQ(r3.assignments_size(), 1);
  EXPECT_EQ(State(job), rpc::MAPPING);
  Beat(w, 0, {UserError(Failure(r3.assignments(0), "plugin threw in Map: b"), "Map", "Map: b")});
  // Three failures, none the same user error twice: the budget of 3 attempts ends the job.
  tracker_->Tick();
  auto status = tracker_->GetJob(job, true);
  EXPECT_EQ(status->state(), rpc::FAILED);
  EXPECT_NE(status->error().find("failed 3 times"), std::string::npos) << status->error();
}

TEST_F(JobTrackerTest, UserErrorOnlyOnTheFirstAttemptIsRetried) {
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(1, 1);
  auto r1 = Beat(w, 1);
  Beat(w, 0, {UserError(Failure(r1.assignments(0), "plugin threw in Map: once"), "Map", "Map: once")});
  auto r2 = Beat(w, 1);
  ASSERT_EQ(r2.assignments_size(), 1);
  auto r3 = Beat(w, 1, {Success(r2.assignments(0))});
  ASSERT_EQ(r3.assignments_size(), 1);
  EXPECT_EQ(r3.assignments(0).kind(), rpc::REDUCE);
  Beat(w, 1, {Success(r3.assignments(0))});
  tracker_->Tick();
  EXPECT_EQ(State(job), rpc::SUCCEEDED);
}

TEST_F(JobTrackerTest, FirstOfTwoSuccessfulAttemptsWins) {
  std::string a = AddWorker("127.0.0.1:1");
  std::string b = AddWorker("127.0.0.1:2");
  std::string job = SubmitJob(1, 1);
  auto ra = Beat(a, 1);
  ASSERT_EQ(ra.assignments_size(), 1);
  // The attempt stalls: after the attempt timeout it is re-issued to b.
  env_.Advance(21'000'000);
  Beat(a, 0);
  Beat(b, 0);
  tracker_->Tick();
  auto rb = Beat(b, 1);
  ASSERT_EQ(rb.assignments_size(), 1);
  EXPECT_EQ(rb.assignments(0).attempt(), 2u);
  Beat(b, 0, {Success(rb.assignments(0))});
  Beat(a, 0, {Success(ra.assignments(0))});  // late duplicate: ignored
  auto status = tracker_->GetJob(job, true);
  EXPECT_EQ(status->maps_done(), 1u);
  EXPECT_EQ(status->state(), rpc::REDUCING);
}

TEST_F(JobTrackerTest, LostMapOutputReportedByReducerIsReExecuted) {
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(2, 1);
  auto r1 = Beat(w, 2);
  auto r2 = Beat(w, 1, {Success(r1.assignments(0)), Success(r1.assignments(1))});
  ASSERT_EQ(r2.assignments_size(), 1);
  rpc::TaskResult lost = Failure(r2.assignments(0), "cannot reach 127.0.0.1:9");
  lost.add_lost_map_tasks(1);
  auto r3 = Beat(w, 1, {lost});
  ASSERT_EQ(r3.assignments_size(), 1);
  EXPECT_EQ(r3.assignments(0).kind(), rpc::MAP);
  EXPECT_EQ(r3.assignments(0).task(), 1u);
  auto r4 = Beat(w, 1, {Success(r3.assignments(0))});
  ASSERT_EQ(r4.assignments_size(), 1);
  EXPECT_EQ(r4.assignments(0).kind(), rpc::REDUCE);
  EXPECT_EQ(r4.assignments(0).attempt(), 2u);
  EXPECT_EQ(State(job), rpc::REDUCING);
}

TEST_F(JobTrackerTest, LateLostReportDoesNotDiscardAMapOutputRedoneSince) {
  std::string a = AddWorker("127.0.0.1:1");
  std::string b = AddWorker("127.0.0.1:2");
  std::string job = SubmitJob(2, 1);
  auto ra = Beat(a, 1);
  auto rb = Beat(b, 1);
  ASSERT_EQ(ra.assignments_size(), 1);
  ASSERT_EQ(rb.assignments_size(), 1);
  Beat(a, 0, {Success(ra.assignments(0))});
  auto reduce = Beat(b, 1, {Success(rb.assignments(0))});
  ASSERT_EQ(reduce.assignments_size(), 1);
  ASSERT_EQ(reduce.assignments(0).kind(), rpc::REDUCE);
  // a's host vanishes: it is declared dead and its map output is redone on b, while the reduce
  // attempt on b still tries to fetch from a.
  env_.Advance(6'000'000);
  Beat(b, 0);
  tracker_->Tick();
  env_.Advance(2'000);  // the redone output ends after the reduce attempt began
  auto redo = Beat(b, 1);
  ASSERT_EQ(redo.assignments_size(), 1);
  EXPECT_EQ(redo.assignments(0).kind(), rpc::MAP);
  Beat(b, 0, {Success(redo.assignments(0))});
  // Only now does the reducer report a's output lost: the output redone on b is not.
  rpc::TaskResult lost = Failure(reduce.assignments(0), "cannot reach 127.0.0.1:1");
  lost.add_lost_map_tasks(ra.assignments(0).task());
  auto again = Beat(b, 1, {lost});
  ASSERT_EQ(again.assignments_size(), 1);
  EXPECT_EQ(again.assignments(0).kind(), rpc::REDUCE);
  EXPECT_EQ(again.assignments(0).attempt(), 2u);
  EXPECT_EQ(State(job), rpc::REDUCING);
}

TEST_F(JobTrackerTest, TimesAndIdsComeFromTheEnvsWallClock) {
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(1, 1);
  EXPECT_EQ(job.rfind("job-20270115-080000-", 0), 0u) << job;
  env_.Advance(3'000'000);
  auto map = Beat(w, 1);
  ASSERT_EQ(map.assignments_size(), 1);
  auto status = tracker_->GetJob(job, true);
  EXPECT_DOUBLE_EQ(status->submit_unix(), 1'800'000'000.0);
  EXPECT_DOUBLE_EQ(status->tasks(0).attempts(0).start_unix(), 1'800'000'003.0);
  EXPECT_DOUBLE_EQ(tracker_->ClusterStatus().workers(0).last_heartbeat_unix(), 1'800'000'003.0);
}

TEST_F(JobTrackerTest, SubmitRejectsMissingInput) {
  rpc::JobSpec spec;
  spec.set_plugin("wordcount");
  spec.set_input_uri("files:" + (dir_ / "nothing" / "*.txt").string());
  spec.set_output_uri("files:" + (dir_ / "out").string());
  StatusOr<std::string> id = tracker_->Submit(spec);
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("nothing"), std::string::npos) << id.status().message();
}

// Protobuf strings must be UTF-8: a spec no worker could parse would leave the job mapping forever.
TEST_F(JobTrackerTest, SubmitRefusesAJobItCouldNotSendToWorkers) {
  rpc::JobSpec spec;
  spec.set_plugin("wordcount");
  spec.set_input_uri("files:" + (dir_ / "in" / "*.txt").string());
  spec.set_output_uri("files:" + (dir_ / "out").string());
  (*spec.mutable_params())["greeting"] = "caf\xE9";
  StatusOr<std::string> id = tracker_->Submit(spec);
  ASSERT_EQ(id.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(id.status().message().find("cannot be sent to workers"), std::string::npos) << id.status().message();
  EXPECT_NE(id.status().message().find("params"), std::string::npos) << id.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out"));
}

TEST_F(JobTrackerTest, SubmitRefusesAnOutputOverItsInput) {
  rpc::JobSpec spec;
  spec.set_plugin("wordcount");
  spec.set_input_uri("files:" + (dir_ / "in" / "*.txt").string());
  spec.set_output_uri("files:" + (dir_ / "in").string());
  StatusOr<std::string> id = tracker_->Submit(spec);
  ASSERT_EQ(id.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(id.status().message().find("is the input's directory"), std::string::npos) << id.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "in" / "_temporary"));
}

// The net under planning: a task spec that cannot be sent fails its job with a message.
TEST_F(JobTrackerTest, ATaskSpecThatCannotBeSentFailsTheJob) {
  std::string bad = AddWorker("host-\xFF:1");  // reduce specs carry the map workers' addresses
  std::string job = SubmitJob(1, 1);
  auto r = Beat(bad, 1);
  ASSERT_EQ(r.assignments_size(), 1);
  r = Beat(bad, 1, {Success(r.assignments(0))});
  EXPECT_EQ(r.assignments_size(), 0);
  tracker_->Tick();
  auto status = tracker_->GetJob(job, true);
  EXPECT_EQ(status->state(), rpc::FAILED);
  EXPECT_NE(status->error().find("cannot send reduce"), std::string::npos) << status->error();
}

TEST_F(JobTrackerTest, ClusterStatusReportsTheTerm) {
  JobTracker tracker(&env_, options_, nullptr, 7);
  EXPECT_EQ(tracker.ClusterStatus().term(), 7u);
}

TEST_F(JobTrackerTest, CancelStopsAssigningAndAborts) {
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(2, 1);
  ASSERT_TRUE(tracker_->Cancel(job).ok());
  EXPECT_EQ(Beat(w, 2).assignments_size(), 0);
  tracker_->Tick();
  EXPECT_EQ(State(job), rpc::CANCELLED);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out" / "_SUCCESS"));
}

// Issue #13 item 6: an ended job stays listed for its retention time, then leaves the tracker and
// the durable store; a dead worker leaves the worker list after its own retention.
TEST_F(JobTrackerTest, HousekeepingDropsExpiredJobsAndDeadWorkersFromTrackerAndStore) {
  options_.job_retention_us = 60'000'000;
  options_.dead_worker_retention_us = 30'000'000;
  std::unique_ptr<MetadataStore> store = MetadataStore::NewInMemory();
  UseStore(store.get(), 1);
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(2, 1);
  ASSERT_TRUE(tracker_->Cancel(job).ok());
  tracker_->Tick();
  ASSERT_EQ(State(job), rpc::CANCELLED);
  env_.Advance(60'000'000);
  tracker_->Housekeep();
  EXPECT_TRUE(tracker_->GetJob(job, false).ok()) << "kept for exactly its retention";
  EXPECT_EQ(tracker_->ClusterStatus().workers_size(), 1);

  env_.Advance(1);
  tracker_->Tick();  // the silent worker is declared dead...
  tracker_->Housekeep();
  EXPECT_EQ(tracker_->GetJob(job, false).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(tracker_->ListJobs().empty());
  EXPECT_TRUE(store->LoadJobs()->empty()) << "a successor must not restore a dropped job";
  EXPECT_EQ(tracker_->ClusterStatus().workers_size(), 1) << "...but stays listed for its retention";

  env_.Advance(30'000'001);
  tracker_->Housekeep();
  EXPECT_EQ(tracker_->ClusterStatus().workers_size(), 0);
  EXPECT_TRUE(store->LoadWorkers()->empty());
}

// Issue #10 item 6: after a cancel, no task or attempt of the job may still show as running,
// its workers are told to kill what they still run, and a late report revives nothing.
TEST_F(JobTrackerTest, CancelEndsRunningAttemptsAndLateReportsDoNotReviveThem) {
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(2, 1);
  auto r = Beat(w, 2);
  ASSERT_EQ(r.assignments_size(), 2);
  ASSERT_TRUE(tracker_->Cancel(job).ok());
  auto status = tracker_->GetJob(job, true);
  for (const auto& t : status->tasks()) {
    EXPECT_NE(t.state(), rpc::RUNNING) << t.ShortDebugString();
    if (t.kind() == rpc::MAP) {
      EXPECT_EQ(t.state(), rpc::IDLE);
    }
    for (const auto& a : t.attempts()) EXPECT_EQ(a.state(), "killed") << t.ShortDebugString();
  }
  // The worker still runs map 0 and reports it: it is told to kill it.
  rpc::HeartbeatRequest running;
  running.set_worker_id(w);
  rpc::RunningAttempt* ra = running.add_running();
  ra->set_job_id(job);
  ra->set_kind(rpc::MAP);
  ra->set_task(r.assignments(0).task());
  ra->set_attempt(r.assignments(0).attempt());
  auto killed = tracker_->Heartbeat(running);
  ASSERT_EQ(killed.kill_size(), 1);
  EXPECT_EQ(killed.kill(0).job_id(), job);
  // Map 1 finishes after all: nothing is revived.
  Beat(w, 2, {Success(r.assignments(1))});
  tracker_->Tick();
  status = tracker_->GetJob(job, true);
  EXPECT_EQ(status->state(), rpc::CANCELLED);
  EXPECT_EQ(status->maps_done(), 0u);
  for (const auto& t : status->tasks()) {
    EXPECT_NE(t.state(), rpc::RUNNING);
    for (const auto& a : t.attempts()) EXPECT_EQ(a.state(), "killed");
  }
}

// A job failing (one task out of attempts) ends the attempts of its other tasks too.
TEST_F(JobTrackerTest, FailedJobEndsItsOtherRunningAttempts) {
  options_.max_attempts = 1;
  tracker_ = std::make_unique<JobTracker>(&env_, options_);
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(2, 1);
  auto r = Beat(w, 2);
  ASSERT_EQ(r.assignments_size(), 2);
  Beat(w, 1, {Failure(r.assignments(0), "boom")});
  tracker_->Tick();
  auto status = tracker_->GetJob(job, true);
  EXPECT_EQ(status->state(), rpc::FAILED);
  for (const auto& t : status->tasks()) {
    EXPECT_NE(t.state(), rpc::RUNNING) << t.ShortDebugString();
    for (const auto& a : t.attempts()) EXPECT_NE(a.state(), "running") << t.ShortDebugString();
  }
  // The worker that loses the other attempt afterwards changes nothing.
  env_.Advance(6'000'000);
  tracker_->Tick();
  EXPECT_EQ(tracker_->GetJob(job, true)->state(), rpc::FAILED);
}

// A speculative duplicate still running when the job's last partition is done is ended, and a
// coordinator restoring a cancelled job's record does not bring its attempts back as running.
TEST_F(JobTrackerTest, DuplicateAttemptEndsWithTheJobAndRestoreKeepsItEnded) {
  auto store = MetadataStore::NewInMemory();
  UseStore(store.get(), 1);
  std::string a = AddWorker("127.0.0.1:1");
  std::string b = AddWorker("127.0.0.1:2");
  std::string job = SubmitJob(1, 1);
  auto map = Beat(a, 1);
  ASSERT_EQ(map.assignments_size(), 1);
  auto reduce = Beat(a, 1, {Success(map.assignments(0))});
  ASSERT_EQ(reduce.assignments_size(), 1);
  env_.Advance(21'000'000);
  Beat(a, 0);
  Beat(b, 0);
  tracker_->Tick();  // the reduce is silent: re-issued to b
  auto dup = Beat(b, 1);
  ASSERT_EQ(dup.assignments_size(), 1);
  Beat(b, 0, {Success(dup.assignments(0))});
  tracker_->Tick();
  auto status = tracker_->GetJob(job, true);
  EXPECT_EQ(status->state(), rpc::SUCCEEDED);
  for (const auto& t : status->tasks()) {
    for (const auto& att : t.attempts()) EXPECT_NE(att.state(), "running") << t.ShortDebugString();
  }

  std::filesystem::remove_all(dir_ / "out");  // the next job writes there too
  std::string cancelled = SubmitJob(2, 1);
  ASSERT_EQ(Beat(b, 2).assignments_size(), 2);
  ASSERT_TRUE(tracker_->Cancel(cancelled).ok());
  tracker_->Tick();
  UseStore(store.get(), 2);
  ASSERT_TRUE(tracker_->Restore().ok());
  status = tracker_->GetJob(cancelled, true);
  EXPECT_EQ(status->state(), rpc::CANCELLED);
  for (const auto& t : status->tasks()) {
    EXPECT_NE(t.state(), rpc::RUNNING);
    for (const auto& att : t.attempts()) EXPECT_EQ(att.state(), "killed");
  }
}

// The in-memory store, with saves that fail while `down` is set (a metadata server cut off).
class UnreachableStore : public ForwardingStore {
 public:
  bool down = false;
  Status SaveJob(const rpc::JobRecord& job) override { return down ? Unavailable("store down") : ForwardingStore::SaveJob(job); }
  Status SaveWorker(const rpc::WorkerRecord& w) override {
    return down ? Unavailable("store down") : ForwardingStore::SaveWorker(w);
  }
};

TEST_F(JobTrackerTest, AssignmentsThatCannotBeRecordedAreNotHandedOut) {
  UnreachableStore store;
  UseStore(&store, 1);
  std::string w = AddWorker("127.0.0.1:1");
  SubmitJob(1, 1);
  store.down = true;
  // A successor would not know of the attempt and could hand out its number again.
  EXPECT_EQ(Beat(w, 1).assignments_size(), 0);
  store.down = false;
  auto r = Beat(w, 1);
  ASSERT_EQ(r.assignments_size(), 1);
  EXPECT_EQ(r.assignments(0).attempt(), 2u);
}

TEST_F(JobTrackerTest, FencedTrackerNeitherCommitsNorWritesAndASuccessorCommits) {
  auto store = MetadataStore::NewInMemory();
  UseStore(store.get(), 1);
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(1, 1);
  auto map = Beat(w, 1);
  ASSERT_EQ(map.assignments_size(), 1);
  auto reduce = Beat(w, 1, {Success(map.assignments(0))});
  ASSERT_EQ(reduce.assignments_size(), 1);
  Beat(w, 1, {Success(reduce.assignments(0))});
  EXPECT_EQ(State(job), rpc::COMMITTING);
  // Its coordinator stepped down before the tick that would commit.
  tracker_->Fence();
  tracker_->Tick();
  EXPECT_EQ(State(job), rpc::COMMITTING);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out" / "_SUCCESS"));
  EXPECT_EQ(tracker_->Flush().code(), StatusCode::kAborted);
  // The coordinator of the next term carries on from the store and commits exactly once.
  JobTracker successor(&env_, options_, store.get(), 2);
  ASSERT_TRUE(successor.Restore().ok());
  successor.Tick();
  EXPECT_EQ(successor.GetJob(job, false)->state(), rpc::SUCCEEDED);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "out" / "_SUCCESS"));
}

TEST(MetadataStoreTest, RefusesAJobVersionFromAnOlderTerm) {
  auto store = MetadataStore::NewInMemory();
  rpc::JobRecord record;
  record.set_job_id("job-1");
  record.set_term(2);
  record.set_state(rpc::SUCCEEDED);
  ASSERT_TRUE(store->SaveJob(record).ok());
  record.set_term(1);  // a write of the superseded coordinator, delayed in the network
  record.set_state(rpc::MAPPING);
  EXPECT_EQ(store->SaveJob(record).code(), StatusCode::kAborted);
  auto jobs = store->LoadJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].state(), rpc::SUCCEEDED);
  record.set_term(3);
  EXPECT_TRUE(store->SaveJob(record).ok());
}

}  // namespace
}  // namespace aviary::coordinator
