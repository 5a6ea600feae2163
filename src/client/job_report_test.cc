#include "client/job_report.h"

#include <gtest/gtest.h>

namespace aviary::client {
namespace {

TEST(JobReport, FinalStatesAndTheirNames) {
  EXPECT_TRUE(IsFinal(rpc::SUCCEEDED));
  EXPECT_TRUE(IsFinal(rpc::FAILED));
  EXPECT_TRUE(IsFinal(rpc::CANCELLED));
  EXPECT_FALSE(IsFinal(rpc::MAPPING));
  EXPECT_FALSE(IsFinal(rpc::COMMITTING));
  EXPECT_EQ(StateName(rpc::REDUCING), "reducing");
}

TEST(JobReport, DescribeJobSummarisesAndListsAttemptsOnRequest) {
  rpc::JobStatus job;
  job.set_job_id("job-1");
  job.mutable_spec()->set_plugin("wordcount");
  job.mutable_spec()->set_input_uri("files:/in/*.txt");
  job.set_state(rpc::FAILED);
  job.set_submit_unix(100);
  job.set_end_unix(102.5);
  job.set_maps_total(2);
  job.set_maps_done(2);
  job.set_reduces_total(1);
  job.set_input_records(10);
  job.set_input_bytes(3 << 20);
  job.set_output_location("files:/out");
  job.set_error("reduce task 0 failed 4 times");
  rpc::TaskStatus* task = job.add_tasks();
  task->set_kind(rpc::REDUCE);
  rpc::AttemptStatus* attempt = task->add_attempts();
  attempt->set_attempt(1);
  attempt->set_worker_id("w1");
  attempt->set_state("failed");
  attempt->set_error("killed by signal 9");

  const std::string brief = DescribeJob(job, false);
  EXPECT_EQ(brief.rfind("job job-1 (wordcount): failed\n  elapsed: 2.50 s\n", 0), 0u) << brief;
  EXPECT_NE(brief.find("  input: files:/in/*.txt (10 records, 3.0 MiB)\n"), std::string::npos) << brief;
  EXPECT_NE(brief.find("  error: reduce task 0 failed 4 times\n"), std::string::npos) << brief;
  EXPECT_EQ(brief.find("attempt 1"), std::string::npos);
  const std::string full = DescribeJob(job, true);
  EXPECT_NE(full.find("    attempt 1 on w1 (): failed: killed by signal 9\n"), std::string::npos) << full;
}

TEST(JobReport, AFinishedJobShowsItsCountsAndNonZeroCounters) {
  rpc::JobStatus job;
  job.set_state(rpc::SUCCEEDED);
  rpc::MapReduceCounts* counts = job.mutable_counts();
  counts->set_input(6000);
  counts->set_emit(48211);
  counts->set_reduce(41377);
  counts->set_output(3410);
  counts->set_time_millis(1873);
  counts->set_map_millis(904);
  counts->set_shuffle_millis(12);
  counts->set_reduce_millis(120);
  counts->set_commit_millis(35);
  job.mutable_totals()->set_input_records(6000);
  job.mutable_totals()->set_cpu_seconds(1.5);
  job.mutable_progress()->set_input_records(1);  // a finished job shows its totals
  const std::string text = DescribeJob(job, false);
  EXPECT_NE(text.find("  counts: input 6000, emit 48211, reduce 41377, output 3410; timeMillis 1873 (map 904 ms, "
                      "shuffle 12 ms, reduce 120 ms, commit 35 ms)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  counter input_records: 6000\n  counter cpu_seconds: 1.50\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("map_emits"), std::string::npos) << text;  // zero: not shown
}

TEST(JobReport, ARunningJobShowsTheRecordsReadSoFar) {
  rpc::JobStatus job;
  job.set_state(rpc::MAPPING);
  job.mutable_spec()->set_input_uri("files:/in");
  job.mutable_progress()->set_input_records(123);
  job.mutable_progress()->set_input_bytes(2048);
  const std::string text = DescribeJob(job, false);
  EXPECT_NE(text.find("  input: files:/in (123 records read so far, 2.0 KiB)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  counter input_records: 123\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("counts:"), std::string::npos) << text;
}

TEST(JobReport, JsonKeepsProtoNamesAndEveryField) {
  rpc::JobStatus job;
  job.set_job_id("job-1");
  const std::string json = ToJson(job);
  EXPECT_NE(json.find("\"job_id\": \"job-1\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"maps_done\": 0"), std::string::npos) << json;
}

}  // namespace
}  // namespace aviary::client
