#include "client/job_table.h"

#include <gtest/gtest.h>

namespace aviary::client {
namespace {

rpc::JobStatus Job(const std::string& id, rpc::JobState state, double submitted) {
  rpc::JobStatus job;
  job.set_job_id(id);
  job.set_state(state);
  job.set_submit_unix(submitted);
  job.mutable_spec()->set_name("wordcount");
  return job;
}

std::vector<rpc::JobStatus> ThreeJobs() {
  return {Job("job-old", rpc::SUCCEEDED, 1000), Job("job-new", rpc::MAPPING, 3000),
          Job("job-mid", rpc::FAILED, 2000)};
}

TEST(JobTable, ListsNewestFirstUnderAHeader) {
  const std::string table = JobTable(ThreeJobs(), {}, 3010);
  const size_t header = table.find("STATE");
  const size_t newest = table.find("job-new");
  const size_t middle = table.find("job-mid");
  const size_t oldest = table.find("job-old");
  ASSERT_NE(header, std::string::npos);
  ASSERT_NE(oldest, std::string::npos);
  EXPECT_LT(header, newest);
  EXPECT_LT(newest, middle);
  EXPECT_LT(middle, oldest);
  EXPECT_NE(table.find("1970-01-01 00:50:00"), std::string::npos);  // job-new's submit time in UTC
  EXPECT_NE(table.find("10.0"), std::string::npos);                 // running: elapsed up to now
}

TEST(JobTable, FiltersByStateAndLimits) {
  std::string running = JobTable(ThreeJobs(), {"running", 0}, 3010);
  EXPECT_NE(running.find("job-new"), std::string::npos);
  EXPECT_EQ(running.find("job-old"), std::string::npos);
  EXPECT_EQ(running.find("job-mid"), std::string::npos);

  std::string failed = JobTable(ThreeJobs(), {"failed", 0}, 3010);
  EXPECT_NE(failed.find("job-mid"), std::string::npos);
  EXPECT_EQ(failed.find("job-new"), std::string::npos);

  std::string newest = JobTable(ThreeJobs(), {"", 1}, 3010);
  EXPECT_NE(newest.find("job-new"), std::string::npos);
  EXPECT_EQ(newest.find("job-mid"), std::string::npos);

  EXPECT_NE(JobTable(ThreeJobs(), {"cancelled", 0}, 3010).find("(no jobs)"), std::string::npos);
}

TEST(JobTable, RefusesAnUnknownStateNamingTheChoices) {
  EXPECT_TRUE(CheckJobFilter({"succeeded", 0}).ok());
  EXPECT_TRUE(CheckJobFilter({"running", 0}).ok());
  const Status bad = CheckJobFilter({"done", 0});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("'done'"), std::string::npos);
  EXPECT_NE(bad.message().find("succeeded"), std::string::npos);
}

}  // namespace
}  // namespace aviary::client
