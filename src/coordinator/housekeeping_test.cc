#include "coordinator/housekeeping.h"

#include <gtest/gtest.h>

#include "coordinator/test_state.h"

namespace aviary::coordinator {
namespace {

using test_state::AddJob;
using test_state::AddWorker;

constexpr double kHour = 3600;

class HousekeepingTest : public ::testing::Test {
 protected:
  HousekeepingTest() {
    options_.job_retention_us = static_cast<int64_t>(kHour * 1e6);
    options_.dead_worker_retention_us = 600'000'000;
  }
  Job& Ended(const std::string& id, JobPhase phase, double end_unix, const std::string& plugin) {
    Job& job = AddJob(state_, id, {""});
    job.phase = phase;
    job.end_unix = end_unix;
    job.spec.set_plugin_sha256(plugin);
    return job;
  }

  TrackerOptions options_;
  ClusterState state_;
};

TEST_F(HousekeepingTest, DropsJobsOnlyAfterTheirRetentionWithTheirInlineSpools) {
  Job& old_job = Ended("old", JobPhase::kSucceeded, 1000, "aa");
  old_job.spec.set_inline_output(true);
  old_job.spec.set_output_uri("inline:/spool/old");
  Ended("recent", JobPhase::kFailed, 1000 + kHour, "bb");
  AddJob(state_, "running", {""}).spec.set_plugin_sha256("cc");
  Worker& w = AddWorker(state_, "w");
  w.cleaned_jobs = {"old", "recent"};
  state_.dirty_jobs = {"old"};

  Dropped d = DropExpired(state_, options_, 0, 1000 + kHour);
  EXPECT_TRUE(d.jobs.empty()) << "exactly the retention is not over it";

  d = DropExpired(state_, options_, 0, 1000 + kHour + 1);
  EXPECT_EQ(d.jobs, std::vector<std::string>{"old"});
  EXPECT_EQ(d.inline_spools, std::vector<std::string>{"/spool/old"});
  EXPECT_EQ(d.unused_plugins, std::set<std::string>{"aa"});
  EXPECT_EQ(state_.jobs.count("old"), 0u);
  EXPECT_EQ(state_.job_order, (std::vector<std::string>{"recent", "running"}));
  EXPECT_EQ(w.cleaned_jobs, std::set<std::string>{"recent"});
  EXPECT_TRUE(state_.dirty_jobs.empty()) << "a dropped job must not be written back";
}

TEST_F(HousekeepingTest, KeepsAPluginThatAKeptJobStillUses) {
  Ended("a", JobPhase::kSucceeded, 1000, "shared");
  Ended("b", JobPhase::kSucceeded, 1000 + 2 * kHour, "shared");
  Dropped d = DropExpired(state_, options_, 0, 1000 + 1.5 * kHour);
  EXPECT_EQ(d.jobs, std::vector<std::string>{"a"});
  EXPECT_TRUE(d.unused_plugins.empty());
}

TEST_F(HousekeepingTest, NeverDropsAJobStillRemovingItsOutputOrWithRetentionZero) {
  Ended("failing", JobPhase::kFailing, 1000, "aa");
  Ended("cancelling", JobPhase::kCancelling, 1000, "aa");
  EXPECT_TRUE(DropExpired(state_, options_, 0, 1e9).jobs.empty());

  Ended("done", JobPhase::kCancelled, 1000, "aa");
  options_.job_retention_us = 0;
  EXPECT_TRUE(DropExpired(state_, options_, 0, 1e9).jobs.empty());
}

TEST_F(HousekeepingTest, DeadWorkersLeaveTheListAfterTheirRetention) {
  Worker& dead = AddWorker(state_, "dead");
  dead.alive = false;
  dead.dead_since_us = 1'000'000;
  AddWorker(state_, "alive");  // alive counts, however old its record
  state_.dirty_workers = {"dead"};

  EXPECT_TRUE(DropExpired(state_, options_, 601'000'000, 0).workers.empty());
  const Dropped d = DropExpired(state_, options_, 601'000'001, 0);
  EXPECT_EQ(d.workers, std::vector<std::string>{"dead"});
  EXPECT_EQ(state_.workers.count("dead"), 0u);
  EXPECT_EQ(state_.workers.count("alive"), 1u);
  EXPECT_TRUE(state_.dirty_workers.empty());
}

}  // namespace
}  // namespace aviary::coordinator
