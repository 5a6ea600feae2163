#include "coordinator/failure_detector.h"

#include <gtest/gtest.h>

#include "common/fake_clock_env.h"
#include "coordinator/test_state.h"

namespace aviary::coordinator {
namespace {

using test_state::AddJob;
using test_state::AddWorker;
using test_state::RunAttempt;
using test_state::Win;

class FailureDetectorTest : public ::testing::Test {
 protected:
  FailureDetectorTest() {
    options_.worker_timeout_us = 5'000'000;
    options_.attempt_timeout_us = 20'000'000;
  }
  void Check() {
    const double now_unix = static_cast<double>(env_.NowUnixMicros()) / 1e6;
    CheckSilentWorkers(state_, options_, env_.NowMicros(), now_unix);
    CheckSilentAttempts(state_, options_, env_.NowMicros(), now_unix);
  }
  Worker& Beating(const std::string& id) {
    Worker& w = AddWorker(state_, id);
    w.last_heartbeat_us = env_.NowMicros();
    return w;
  }

  FakeClockEnv env_;
  TrackerOptions options_;
  ClusterState state_;
};

TEST_F(FailureDetectorTest, AWorkerSilentForTheTimeoutIsDeclaredDead) {
  Worker& silent = Beating("silent");
  Worker& beating = Beating("beating");
  env_.Advance(5'000'000);
  Check();
  EXPECT_TRUE(silent.alive) << "exactly the timeout is not over it";
  env_.Advance(1);
  beating.last_heartbeat_us = env_.NowMicros();
  Check();
  EXPECT_FALSE(silent.alive);
  EXPECT_TRUE(beating.alive);
}

TEST_F(FailureDetectorTest, ADeadWorkersAttemptsAreLostAndItsMapOutputsRedone) {
  Worker& a = Beating("a");
  Worker& b = Beating("b");
  Job& job = AddJob(state_, "j", {"", ""});
  RunAttempt(job.maps[0], a, env_.NowMicros());
  Win(job, job.maps[0]);
  Attempt& running = RunAttempt(job.maps[1], a, env_.NowMicros());
  env_.Advance(6'000'000);
  b.last_heartbeat_us = env_.NowMicros();
  Check();
  EXPECT_FALSE(a.alive);
  EXPECT_EQ(running.state, AttemptState::kLost);
  EXPECT_NE(running.error.find("worker lost"), std::string::npos) << running.error;
  EXPECT_EQ(job.maps[1].state, rpc::IDLE);
  EXPECT_EQ(job.maps[1].failures, 0u) << "a lost attempt is not the task's failure";
  // The finished map's output was on a's disk.
  EXPECT_EQ(job.maps[0].state, rpc::IDLE);
  EXPECT_EQ(job.maps[0].attempts[0].state, AttemptState::kLost);
  EXPECT_EQ(job.maps_done, 0u);
}

TEST_F(FailureDetectorTest, MapOutputsStayWhenEveryReduceIsDone) {
  Worker& a = Beating("a");
  Job& job = AddJob(state_, "j", {""}, 1);
  RunAttempt(job.maps[0], a);
  Win(job, job.maps[0]);
  job.SetPhase(JobPhase::kReducing);
  RunAttempt(job.reduces[0], a);
  Win(job, job.reduces[0]);
  job.SetPhase(JobPhase::kCommitting);
  env_.Advance(6'000'000);
  Check();
  EXPECT_FALSE(a.alive);
  EXPECT_EQ(job.maps[0].state, rpc::DONE);
  EXPECT_EQ(job.phase, JobPhase::kCommitting);
}

TEST_F(FailureDetectorTest, ADeadWorkerOfAReducingJobSendsItBackToMapping) {
  Worker& a = Beating("a");
  Job& job = AddJob(state_, "j", {""}, 1);
  RunAttempt(job.maps[0], a);
  Win(job, job.maps[0]);
  job.SetPhase(JobPhase::kReducing);
  env_.Advance(6'000'000);
  Check();
  EXPECT_EQ(job.phase, JobPhase::kMapping);
}

TEST_F(FailureDetectorTest, ASilentAttemptIsReIssuedAndOneWithProgressIsNot) {
  Worker& w = Beating("w");
  Job& job = AddJob(state_, "j", {"", ""});
  Attempt& silent = RunAttempt(job.maps[0], w, env_.NowMicros());
  Attempt& busy = RunAttempt(job.maps[1], w, env_.NowMicros());
  env_.Advance(19'000'000);
  busy.last_progress_us = env_.NowMicros();  // what a heartbeat does when records_in moved
  w.last_heartbeat_us = env_.NowMicros();
  Check();
  EXPECT_EQ(silent.state, AttemptState::kRunning);
  env_.Advance(1'000'000);
  w.last_heartbeat_us = env_.NowMicros();
  Check();
  EXPECT_EQ(silent.state, AttemptState::kLost);
  EXPECT_NE(silent.error.find("no progress for 20 s"), std::string::npos) << silent.error;
  EXPECT_DOUBLE_EQ(silent.end_unix, static_cast<double>(env_.NowUnixMicros()) / 1e6);
  EXPECT_EQ(job.maps[0].state, rpc::IDLE);
  EXPECT_EQ(busy.state, AttemptState::kRunning);
  EXPECT_TRUE(w.alive);
}

TEST_F(FailureDetectorTest, FinishedJobsAreLeftAlone) {
  Worker& w = Beating("w");
  Job& job = AddJob(state_, "j", {""});
  Attempt& a = RunAttempt(job.maps[0], w);
  job.SetPhase(JobPhase::kFailing);
  env_.Advance(30'000'000);
  w.last_heartbeat_us = env_.NowMicros();
  Check();
  EXPECT_EQ(a.state, AttemptState::kRunning);
}

}  // namespace
}  // namespace aviary::coordinator
