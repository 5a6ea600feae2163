#include "coordinator/persistence.h"

#include <gtest/gtest.h>

#include "coordinator/test_state.h"

namespace aviary::coordinator {
namespace {

using test_state::AddJob;
using test_state::AddWorker;
using test_state::RunAttempt;
using test_state::Win;

TEST(PersistenceTest, AJobRoundTripsThroughItsRecord) {
  ClusterState state;
  Worker& w = AddWorker(state, "w1");
  Job& job = AddJob(state, "j", {"shardA", ""}, 2);
  job.spec.set_plugin("wordcount");
  job.submit_unix = 1234.5;
  Attempt& first = RunAttempt(job.maps[0], w);
  first.start_unix = 100;
  first.end_unix = 101;
  first.progress = 7;
  first.result.set_records_in(7);
  Win(job, job.maps[0]);
  Attempt& failed = RunAttempt(job.maps[1], w);
  failed.SetState(AttemptState::kFailed);
  failed.error = "boom";
  job.maps[1].failures = 1;
  job.maps[1].failed_on.insert("w1");
  job.maps[1].state = rpc::IDLE;

  const rpc::JobRecord record = ToRecord(job);
  EXPECT_EQ(record.state(), rpc::MAPPING);
  EXPECT_EQ(record.phase(), "mapping");
  StatusOr<std::unique_ptr<Job>> back = FromRecord(record, 555);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const Job& j = **back;
  EXPECT_EQ(j.id, "j");
  EXPECT_EQ(j.spec.plugin(), "wordcount");
  EXPECT_EQ(j.phase, JobPhase::kMapping);
  EXPECT_EQ(j.submit_unix, 1234.5);
  ASSERT_EQ(j.maps.size(), 2u);
  ASSERT_EQ(j.reduces.size(), 2u);
  EXPECT_EQ(j.maps_done, 1u);
  EXPECT_EQ(j.maps[0].winner, 0);
  EXPECT_EQ(j.maps[0].split.location(), "shardA");
  const Attempt& a = j.maps[0].attempts[0];
  EXPECT_EQ(a.state, AttemptState::kSucceeded);
  EXPECT_EQ(a.worker_id, "w1");
  EXPECT_EQ(a.start_unix, 100);
  EXPECT_EQ(a.end_unix, 101);
  EXPECT_EQ(a.progress, 7u);
  EXPECT_EQ(a.result.records_in(), 7u);
  EXPECT_EQ(a.last_progress_us, 555) << "restored attempts get a full timeout again";
  EXPECT_EQ(j.maps[1].attempts[0].error, "boom");
  EXPECT_EQ(j.maps[1].failed_on.count("w1"), 1u);
  EXPECT_EQ(j.maps[1].failures, 1u);
}

TEST(PersistenceTest, ACommitUnderwayIsRedoneByTheSuccessor) {
  ClusterState state;
  Worker& w = AddWorker(state, "w1");
  Job& job = AddJob(state, "j", {""}, 1);
  RunAttempt(job.maps[0], w);
  Win(job, job.maps[0]);
  job.SetPhase(JobPhase::kReducing);
  RunAttempt(job.reduces[0], w);
  Win(job, job.reduces[0]);
  job.SetPhase(JobPhase::kCommitting);
  job.SetPhase(JobPhase::kCommitUnderway);
  const rpc::JobRecord record = ToRecord(job);
  EXPECT_EQ(record.state(), rpc::COMMITTING);
  auto back = FromRecord(record, 0);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)->phase, JobPhase::kCommitting);
}

TEST(PersistenceTest, AReducingJobWithALostMapOutputResumesMapping) {
  ClusterState state;
  Worker& w = AddWorker(state, "w1");
  Job& job = AddJob(state, "j", {"", ""}, 1);
  RunAttempt(job.maps[0], w);
  Win(job, job.maps[0]);
  job.phase = JobPhase::kReducing;  // as a record of another version might say
  auto back = FromRecord(ToRecord(job), 0);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)->phase, JobPhase::kMapping);
}

// Carries are rebuilt in grant order; a split whose carrier no longer runs is idle again; a
// carrier that names no attempt is refused.
TEST(PersistenceTest, CarriedSplitsComeBackWithTheirCarriers) {
  ClusterState state;
  Worker& w = AddWorker(state, "w1");
  Job& job = AddJob(state, "j", {"", "", "", ""}, 1);
  Attempt& host = RunAttempt(job.maps[0], w);
  for (uint32_t t : {2u, 1u}) {
    rpc::Carrier& c = job.maps[t].carrier.emplace();
    c.set_task(0);
    c.set_attempt(host.number);
    c.set_seq(t == 2 ? 1 : 2);
    job.maps[t].state = rpc::RUNNING;
    host.carries.push_back(t);
  }
  StatusOr<std::unique_ptr<Job>> back = FromRecord(ToRecord(job), 0);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ((*back)->maps[0].attempts[0].carries, (std::vector<uint32_t>{2, 1}));
  EXPECT_TRUE((*back)->maps[1].Carried());

  host.SetState(AttemptState::kLost);  // a record that somehow kept the carried ones running
  back = FromRecord(ToRecord(job), 0);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)->maps[1].state, rpc::IDLE);
  EXPECT_FALSE((*back)->maps[2].carrier.has_value());

  job.maps[3].carrier.emplace().set_task(0);  // task 0 has no attempt 9
  job.maps[3].carrier->set_attempt(9);
  back = FromRecord(ToRecord(job), 0);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("map task 3 names a carrier"), std::string::npos);
}

TEST(PersistenceTest, ARecordOfAnUnknownPhaseIsRefused) {
  rpc::JobRecord record;
  record.set_job_id("j");
  record.set_phase("exploding");
  auto back = FromRecord(record, 0);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("exploding"), std::string::npos);
}

TEST(PersistenceTest, AWorkerRoundTripsWithAGracePeriod) {
  ClusterState state;
  Worker& w = AddWorker(state, "w1", "shardA", 3);
  w.alive = false;
  std::unique_ptr<Worker> back = FromRecord(ToRecord(w), 42, 7.5);
  EXPECT_EQ(back->id, "w1");
  EXPECT_EQ(back->info.location(), "shardA");
  EXPECT_EQ(back->info.slots(), 3u);
  EXPECT_FALSE(back->alive);
  EXPECT_EQ(back->last_heartbeat_us, 42);
  EXPECT_EQ(back->last_heartbeat_unix, 7.5);
}

}  // namespace
}  // namespace aviary::coordinator
