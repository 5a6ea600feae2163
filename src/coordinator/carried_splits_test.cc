#include "coordinator/carried_splits.h"

#include <gtest/gtest.h>

#include "coordinator/forwarding_store.h"
#include "coordinator/tracker_test_fixture.h"

namespace aviary::coordinator {
namespace {

class CarriedSplitsTest : public JobTrackerTest {
 protected:
  // A heartbeat of `worker`, busy, that makes claim `seq` for the attempt of `spec`.
  rpc::HeartbeatResponse Claim(const std::string& worker, const rpc::TaskSpec& spec, uint32_t seq) {
    rpc::HeartbeatRequest request;
    request.set_worker_id(worker);
    rpc::SplitClaim* claim = request.add_claims();
    claim->mutable_attempt()->set_job_id(spec.job_id());
    claim->mutable_attempt()->set_kind(spec.kind());
    claim->mutable_attempt()->set_task(spec.task());
    claim->mutable_attempt()->set_attempt(spec.attempt());
    claim->set_seq(seq);
    return tracker_->Heartbeat(request);
  }
  // The task the claim was granted, or -1 when it was not.
  int Granted(const std::string& worker, const rpc::TaskSpec& spec, uint32_t seq) {
    rpc::HeartbeatResponse r = Claim(worker, spec, seq);
    EXPECT_EQ(r.grants_size(), 1);
    if (r.grants_size() != 1 || !r.grants(0).granted()) return -1;
    EXPECT_EQ(r.grants(0).seq(), seq);
    EXPECT_EQ(r.grants(0).split().index(), r.grants(0).task());
    return static_cast<int>(r.grants(0).task());
  }
  // A success of `spec` that read the splits of `carried` too.
  rpc::TaskResult Carrying(const rpc::TaskSpec& spec, const std::vector<uint32_t>& carried) {
    rpc::TaskResult r = Success(spec);
    r.set_records_in(1);
    for (uint32_t task : carried) {
      rpc::CarriedSplit* c = r.add_carried();
      c->set_task(task);
      c->set_records_in(1);
    }
    return r;
  }
  rpc::TaskStatus TaskOf(const std::string& job, uint32_t index) {
    StatusOr<rpc::JobStatus> status = tracker_->GetJob(job, true);
    EXPECT_TRUE(status.ok()) << status.status().ToString();
    if (!status.ok()) return {};
    for (const rpc::TaskStatus& t : status->tasks()) {
      if (t.kind() == rpc::MAP && t.task() == index) return t;
    }
    ADD_FAILURE() << "no map task " << index;
    return {};
  }
  // The one map attempt a beat of `worker` with one free slot starts.
  rpc::TaskSpec StartMap(const std::string& worker) {
    rpc::HeartbeatResponse r = Beat(worker, 1);
    EXPECT_EQ(r.assignments_size(), 1);
    if (r.assignments_size() != 1) return {};
    EXPECT_EQ(r.assignments(0).kind(), rpc::MAP);
    EXPECT_TRUE(r.assignments(0).claim_splits());
    return r.assignments(0);
  }
};

TEST_F(CarriedSplitsTest, ARunningMapReadsTheIdleSplitsAndWinsThemWithItsOwn) {
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(4, 1);
  rpc::TaskSpec map = StartMap(w);
  EXPECT_EQ(Granted(w, map, 1), 1);
  EXPECT_EQ(Granted(w, map, 1), 1);  // asked again: the same answer
  EXPECT_EQ(Granted(w, map, 2), 2);
  EXPECT_EQ(Granted(w, map, 4), -1);  // out of turn
  EXPECT_EQ(Granted(w, map, 3), 3);
  EXPECT_EQ(Granted(w, map, 4), -1);  // nothing left
  EXPECT_EQ(TaskOf(job, 2).state(), rpc::RUNNING);
  EXPECT_EQ(Beat(w, 1).assignments_size(), 0);  // carried splits are not handed out again

  rpc::HeartbeatResponse reduce = Beat(w, 1, {Carrying(map, {1, 2, 3})});
  ASSERT_EQ(reduce.assignments_size(), 1);
  ASSERT_EQ(reduce.assignments(0).kind(), rpc::REDUCE);
  // One output to fetch: the carrier's.
  ASSERT_EQ(reduce.assignments(0).map_output_hosts_size(), 1);
  EXPECT_EQ(reduce.assignments(0).map_output_hosts(0).map_tasks_size(), 1);
  EXPECT_EQ(reduce.assignments(0).map_output_hosts(0).map_tasks(0), 0u);
  for (uint32_t t = 1; t < 4; ++t) {
    rpc::TaskStatus status = TaskOf(job, t);
    EXPECT_EQ(status.state(), rpc::DONE);
    ASSERT_EQ(status.attempts_size(), 1);
    EXPECT_EQ(status.attempts(0).state(), "succeeded");
    EXPECT_TRUE(status.attempts(0).carried());
    EXPECT_EQ(status.attempts(0).carried_by_task(), 0u);
    EXPECT_EQ(status.attempts(0).worker_id(), w);
  }
  EXPECT_EQ(tracker_->GetJob(job, false)->input_records(), 4u);  // each split's records, once
}

TEST_F(CarriedSplitsTest, ACarrierThatFailsGivesItsSplitsBack) {
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(4, 1);
  rpc::TaskSpec map = StartMap(w);
  ASSERT_EQ(Granted(w, map, 1), 1);
  ASSERT_EQ(Granted(w, map, 2), 2);
  Beat(w, 0, {Failure(map, "disk full")});
  EXPECT_EQ(TaskOf(job, 1).state(), rpc::IDLE);
  EXPECT_EQ(TaskOf(job, 2).state(), rpc::IDLE);
  EXPECT_EQ(TaskOf(job, 1).attempts_size(), 0);
  // All four are handed out again.
  EXPECT_EQ(Beat(w, 4).assignments_size(), 4);
}

// User code that throws on a record of a carried split: the failure is that split's task's, so
// the same error twice there fails the job (as it would without carrying), naming that task.
TEST_F(CarriedSplitsTest, AFailureInACarriedSplitIsThatTasksFailure) {
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(4, 1);
  for (uint32_t round = 1; round <= 2; ++round) {
    SCOPED_TRACE(round);
    rpc::TaskSpec map = StartMap(w);
    EXPECT_EQ(map.task(), 0u);
    EXPECT_EQ(map.attempt(), round);
    ASSERT_EQ(Granted(w, map, 1), 1);
    rpc::TaskResult failed = Failure(map, "plugin threw in Map: bad record (record at f1.txt offset 0)");
    failed.set_user_error(true);
    failed.set_user_function("Map");
    failed.set_error_fingerprint("bad record");
    rpc::CarriedSplit* in = failed.add_carried();
    in->set_task(1);
    in->set_failed(true);
    Beat(w, 0, {failed});
    const rpc::AttemptStatus own = TaskOf(job, 0).attempts(static_cast<int>(round) - 1);
    EXPECT_EQ(own.state(), "killed") << "not its own failure";
    EXPECT_NE(own.error().find("ended by the failure of map task 1"), std::string::npos) << own.error();
    rpc::TaskStatus carried = TaskOf(job, 1);
    ASSERT_EQ(carried.attempts_size(), static_cast<int>(round));
    EXPECT_EQ(carried.attempts(static_cast<int>(round) - 1).state(), "failed");
    EXPECT_TRUE(carried.attempts(static_cast<int>(round) - 1).carried());
  }
  tracker_->Tick();  // the failed job's output is aborted
  StatusOr<rpc::JobStatus> status = tracker_->GetJob(job, false);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state(), rpc::FAILED);
  EXPECT_NE(status->error().find("map task 1: the user's Map function threw the same error"), std::string::npos)
      << status->error();
}

// A failure outside the carried splits (the carrier's own, or after them) stays the carrier's.
TEST_F(CarriedSplitsTest, AFailureOutsideTheCarriedSplitsIsTheCarriers) {
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(4, 1);
  rpc::TaskSpec map = StartMap(w);
  ASSERT_EQ(Granted(w, map, 1), 1);
  rpc::TaskResult failed = Failure(map, "disk full");
  failed.add_carried()->set_task(1);  // read through
  Beat(w, 0, {failed});
  EXPECT_EQ(TaskOf(job, 0).attempts(0).state(), "failed");
  EXPECT_EQ(TaskOf(job, 1).attempts_size(), 0);
  EXPECT_EQ(TaskOf(job, 1).state(), rpc::IDLE);
}

TEST_F(CarriedSplitsTest, AResultThatReadOtherSplitsThanGrantedIsNotCounted) {
  std::string w = AddWorker("127.0.0.1:1");
  int n = 0;
  for (const std::vector<uint32_t>& read : {std::vector<uint32_t>{}, {2}, {1, 2}, {2, 1}}) {
    SCOPED_TRACE(++n);
    std::string job = SubmitJob(4, 1, "files:" + (dir_ / ("out" + std::to_string(n))).string());
    rpc::TaskSpec map = StartMap(w);
    ASSERT_EQ(Granted(w, map, 1), 1);
    if (read.size() == 2 && read[0] == 2) {
      ASSERT_EQ(Granted(w, map, 2), 2);
    }
    Beat(w, 0, {Carrying(map, read)});
    EXPECT_EQ(TaskOf(job, 0).attempts(0).state(), "lost");
    for (uint32_t t = 0; t < 4; ++t) EXPECT_EQ(TaskOf(job, t).state(), rpc::IDLE) << t;
    EXPECT_EQ(tracker_->GetJob(job, false)->maps_done(), 0u);
    ASSERT_TRUE(tracker_->Cancel(job).ok());
    tracker_->Tick();
  }
}

TEST_F(CarriedSplitsTest, CarriedSplitsAndTheirClaimsSurviveAFailover) {
  auto store = MetadataStore::NewInMemory();
  UseStore(store.get(), 1);
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(4, 1);
  rpc::TaskSpec map = StartMap(w);
  ASSERT_EQ(Granted(w, map, 1), 1);
  ASSERT_EQ(Granted(w, map, 2), 2);
  UseStore(store.get(), 2);
  ASSERT_TRUE(tracker_->Restore().ok());
  EXPECT_EQ(Granted(w, map, 2), 2);  // the answer lost with the old coordinator
  EXPECT_EQ(Beat(w, 1).assignments(0).task(), 3u);  // 1 and 2 stay carried
  Beat(w, 0, {Carrying(map, {1, 2})});
  EXPECT_EQ(TaskOf(job, 1).state(), rpc::DONE);
  EXPECT_EQ(TaskOf(job, 2).state(), rpc::DONE);
  EXPECT_EQ(TaskOf(job, 1).attempts(0).carried_by_task(), 0u);
}

TEST_F(CarriedSplitsTest, ALostCarrierOutputLosesEverySplitInIt) {
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(4, 1);
  rpc::TaskSpec map = StartMap(w);
  ASSERT_EQ(Granted(w, map, 1), 1);
  ASSERT_EQ(Granted(w, map, 2), 2);
  ASSERT_EQ(Granted(w, map, 3), 3);
  rpc::HeartbeatResponse reduce = Beat(w, 1, {Carrying(map, {1, 2, 3})});
  ASSERT_EQ(reduce.assignments_size(), 1);
  rpc::TaskResult lost = Failure(reduce.assignments(0), "cannot fetch");
  lost.add_lost_map_tasks(0);
  Beat(w, 0, {lost});
  for (uint32_t t = 0; t < 4; ++t) EXPECT_EQ(TaskOf(job, t).state(), rpc::IDLE) << t;
  EXPECT_EQ(tracker_->GetJob(job, false)->maps_done(), 0u);
}

TEST_F(CarriedSplitsTest, ADeadWorkersCarriedSplitsGoToOthers) {
  std::string a = AddWorker("127.0.0.1:1");
  std::string b = AddWorker("127.0.0.1:2");
  std::string job = SubmitJob(4, 1);
  rpc::TaskSpec map = StartMap(a);
  ASSERT_EQ(Granted(a, map, 1), 1);
  env_.Advance(6'000'000);
  Beat(b, 0);
  tracker_->Tick();  // a is silent: dead
  EXPECT_EQ(TaskOf(job, 1).state(), rpc::IDLE);
  EXPECT_EQ(Beat(b, 4).assignments_size(), 4);
}

TEST_F(CarriedSplitsTest, NothingIsGrantedPastTheByteBound) {
  options_.max_carried_bytes = 12;  // each input file is 6 bytes
  tracker_ = std::make_unique<JobTracker>(&env_, options_);
  std::string w = AddWorker("127.0.0.1:1");
  SubmitJob(4, 1);
  rpc::TaskSpec map = StartMap(w);
  EXPECT_EQ(Granted(w, map, 1), 1);
  EXPECT_EQ(Granted(w, map, 2), -1);
}

TEST_F(CarriedSplitsTest, NoClaimsWhenTheBoundIsZero) {
  options_.max_carried_bytes = 0;
  tracker_ = std::make_unique<JobTracker>(&env_, options_);
  std::string w = AddWorker("127.0.0.1:1");
  SubmitJob(4, 1);
  rpc::HeartbeatResponse r = Beat(w, 1);
  ASSERT_EQ(r.assignments_size(), 1);
  EXPECT_FALSE(r.assignments(0).claim_splits());
  EXPECT_EQ(Granted(w, r.assignments(0), 1), -1);
}

TEST_F(CarriedSplitsTest, OnlyTheAttemptsOwnWorkerMayClaimForIt) {
  std::string a = AddWorker("127.0.0.1:1");
  std::string b = AddWorker("127.0.0.1:2");
  SubmitJob(4, 1);
  rpc::TaskSpec map = StartMap(a);
  EXPECT_EQ(Granted(b, map, 1), -1);
  EXPECT_EQ(Granted(a, map, 1), 1);
}

// The metadata store refuses saves while `down` is set.
class DownStore : public ForwardingStore {
 public:
  bool down = false;
  Status SaveJob(const rpc::JobRecord& job) override { return down ? Unavailable("store down") : ForwardingStore::SaveJob(job); }
};

TEST_F(CarriedSplitsTest, AGrantThatCannotBeRecordedIsNotHandedOut) {
  DownStore store;
  UseStore(&store, 1);
  std::string w = AddWorker("127.0.0.1:1");
  std::string job = SubmitJob(4, 1);
  rpc::TaskSpec map = StartMap(w);
  store.down = true;
  EXPECT_EQ(Claim(w, map, 1).grants_size(), 0);  // no answer: the worker asks again
  EXPECT_EQ(TaskOf(job, 1).state(), rpc::IDLE);
  store.down = false;
  EXPECT_EQ(Granted(w, map, 1), 1);
}

}  // namespace
}  // namespace aviary::coordinator
