#include "coordinator/scheduler.h"

#include <gtest/gtest.h>

#include "coordinator/test_state.h"

namespace aviary::coordinator {
namespace {

using test_state::AddJob;
using test_state::AddWorker;
using test_state::RunAttempt;
using test_state::Win;

Task* Pick(ClusterState& state, Job& job, const std::string& worker) {
  return PickTask(job, *state.workers[worker], LiveWorkers(state.workers));
}

TEST(SchedulerTest, AShardsSplitGoesToTheWorkerNextToIt) {
  ClusterState state;
  AddWorker(state, "wa", "shardA");
  AddWorker(state, "wb", "shardB");
  Job& job = AddJob(state, "j", {"shardA", "shardB"});
  Task* t = Pick(state, job, "wb");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->index, 1u);
  t = Pick(state, job, "wa");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->index, 0u);
}

TEST(SchedulerTest, AShardsSplitGoesAnywhereWhenTheWorkerNextToItIsDead) {
  ClusterState state;
  AddWorker(state, "wa", "shardA").alive = false;
  AddWorker(state, "wb", "shardB");
  Job& job = AddJob(state, "j", {"shardA"});
  Task* t = Pick(state, job, "wb");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->index, 0u);
}

// A worker next to another shard, or next to none: by number, the orphaned shard's split comes
// before the one of no shard.
TEST(SchedulerTest, AShardWithoutAnyWorkerHasItsSplitRunAnywhere) {
  for (const std::string worker_shard : {"shardB", ""}) {
    ClusterState state;
    AddWorker(state, "w", worker_shard);
    Job& job = AddJob(state, "j", {"shardC", ""});
    Task* t = Pick(state, job, "w");
    ASSERT_NE(t, nullptr) << "worker next to '" << worker_shard << "'";
    EXPECT_EQ(t->index, 0u) << "worker next to '" << worker_shard << "'";
  }
}

TEST(SchedulerTest, ABusyWorkerNextToTheShardKeepsItsSplitsWaiting) {
  ClusterState state;
  Worker& wa = AddWorker(state, "wa", "shardA", 1);
  AddWorker(state, "wb", "shardB");
  Job& job = AddJob(state, "j", {"shardA", "shardA"});
  RunAttempt(job.maps[0], wa);  // wa's only slot is taken
  // The other split waits for wa rather than being read remotely by wb.
  EXPECT_EQ(Pick(state, job, "wb"), nullptr);
  Task* t = Pick(state, job, "wa");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->index, 1u);
}

TEST(SchedulerTest, ASplitThatFailedNextToItsShardGoesElsewhere) {
  ClusterState state;
  AddWorker(state, "wa", "shardA");
  AddWorker(state, "wb", "shardB");
  Job& job = AddJob(state, "j", {"shardA"});
  job.maps[0].failed_on.insert("wa");
  job.maps[0].failures = 1;
  EXPECT_EQ(Pick(state, job, "wa"), nullptr);  // another worker can take it
  Task* t = Pick(state, job, "wb");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->index, 0u);
}

TEST(SchedulerTest, AFailedTaskReturnsToItsWorkerWhenNoOtherIsLive) {
  ClusterState state;
  AddWorker(state, "wa", "shardA");
  AddWorker(state, "wb", "shardB").alive = false;
  Job& job = AddJob(state, "j", {"shardA"});
  job.maps[0].failed_on.insert("wa");
  Task* t = Pick(state, job, "wa");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->index, 0u);
}

TEST(SchedulerTest, ReducesOnlyAfterEveryMapHasAWinner) {
  ClusterState state;
  Worker& w = AddWorker(state, "w");
  Job& job = AddJob(state, "j", {"", ""}, 2);
  RunAttempt(job.maps[0], w);
  Win(job, job.maps[0]);
  RunAttempt(job.maps[1], w);
  EXPECT_EQ(Pick(state, job, "w"), nullptr);  // the last map is running: no reduce yet
  Win(job, job.maps[1]);
  job.SetPhase(JobPhase::kReducing);
  Task* t = Pick(state, job, "w");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->kind, rpc::REDUCE);
}

TEST(SchedulerTest, NothingIsPickedFromAJobBeingCommittedOrAborted) {
  ClusterState state;
  AddWorker(state, "w");
  Job& job = AddJob(state, "j", {""});
  job.SetPhase(JobPhase::kCancelling);
  EXPECT_EQ(Pick(state, job, "w"), nullptr);
}

TEST(SchedulerTest, AssignTasksFillsTheFreeSlotsInSubmissionOrder) {
  ClusterState state;
  Worker& w = AddWorker(state, "w", "", 3);
  AddJob(state, "first", {""});
  AddJob(state, "second", {"", ""});
  std::vector<std::string> got;
  AssignTasks(state, w, 2, [&](Job& job, Task& task) {
    got.push_back(job.id + "/" + std::to_string(task.index));
    RunAttempt(task, w);
  });
  EXPECT_EQ(got, (std::vector<std::string>{"first/0", "second/0"}));
}

// The index of idle tasks (idle_maps.h): a task picked and started is not offered again until it
// returns to IDLE, and then it is, with what it failed on taken into account.
TEST(SchedulerTest, ATaskBackToIdleIsPickedAgain) {
  ClusterState state;
  Worker& wa = AddWorker(state, "wa", "shardA", 2);
  AddWorker(state, "wb", "shardB");
  Job& job = AddJob(state, "j", {"shardA", "shardA"});
  Task* first = Pick(state, job, "wa");
  ASSERT_NE(first, nullptr);
  Attempt& attempt = RunAttempt(*first, wa);
  Task* second = Pick(state, job, "wa");
  ASSERT_NE(second, nullptr);
  EXPECT_NE(second->index, first->index);
  RunAttempt(*second, wa);
  EXPECT_EQ(Pick(state, job, "wa"), nullptr);
  // The first attempt fails on wa: the task is idle again and, with wb live, goes to wb.
  attempt.SetState(AttemptState::kFailed);
  first->failed_on.insert("wa");
  job.ReleaseIfNoneRunning(*first);
  EXPECT_EQ(Pick(state, job, "wa"), nullptr);
  Task* again = Pick(state, job, "wb");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->index, first->index);
}

// A task made idle behind the index's back (here: a restored job) is found once the index is
// built from the tasks, as it is on a job's first pick.
TEST(SchedulerTest, TheIndexIsBuiltFromTheTasksOnFirstUse) {
  ClusterState state;
  Worker& w = AddWorker(state, "w", "shardA");
  Job& job = AddJob(state, "j", {"shardA", "shardA", "shardA"});
  job.maps[0].state = rpc::DONE;
  RunAttempt(job.maps[1], w);
  Task* t = Pick(state, job, "w");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->index, 2u);
}

}  // namespace
}  // namespace aviary::coordinator
