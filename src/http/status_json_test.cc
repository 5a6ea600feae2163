#include "http/status_json.h"

#include <gtest/gtest.h>

namespace aviary::http {
namespace {

rpc::JobStatus Job(const std::string& id, rpc::JobState state) {
  rpc::JobStatus job;
  job.set_job_id(id);
  job.set_state(state);
  job.mutable_spec()->set_name("wordcount");
  job.set_submit_unix(10);
  return job;
}

TEST(StatusJsonTest, ListsNewestFirstAndFiltersByState) {
  std::vector<rpc::JobStatus> jobs = {Job("a", rpc::SUCCEEDED), Job("b", rpc::MAPPING), Job("c", rpc::FAILED)};
  nlohmann::json all = JobListJson(jobs, "", 20);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]["job_id"], "c");
  EXPECT_EQ(all[0]["state"], "FAILED");
  EXPECT_EQ(JobListJson(jobs, "running", 20).size(), 1u);
  EXPECT_EQ(JobListJson(jobs, "finished", 20).size(), 2u);
  EXPECT_EQ(JobListJson(jobs, "Failed", 20)[0]["job_id"], "c");
  EXPECT_TRUE(rpc::IsStateFilter("succeeded"));
  EXPECT_FALSE(rpc::IsStateFilter("bogus"));
  EXPECT_EQ(all[1]["elapsed_s"], 10.0);  // still running: up to now
}

TEST(StatusJsonTest, DetailHasTasksPhasesLocalityAndCounters) {
  rpc::JobStatus job = Job("j", rpc::SUCCEEDED);
  job.set_end_unix(20);
  job.set_reduces_total(1);
  job.set_reduces_done(1);
  rpc::Counter* c = job.add_counters();
  c->set_name("emits");
  c->set_value(1ll << 40);
  rpc::TaskStatus* map = job.add_tasks();
  map->set_kind(rpc::MAP);
  map->set_input("shard0 chunk 1");
  rpc::AttemptStatus* a = map->add_attempts();
  a->set_state("succeeded");
  a->set_worker_address("127.0.0.1:1");
  a->set_shard("shard0");
  a->set_orphans_skipped(3);
  a->set_read_locally(true);
  a->set_records_in(1ull << 40);
  a->set_start_unix(11);
  a->set_end_unix(12);
  a->set_error("bad \xff byte");
  rpc::TaskStatus* reduce = job.add_tasks();
  reduce->set_kind(rpc::REDUCE);
  rpc::AttemptStatus* r = reduce->add_attempts();
  r->set_start_unix(12);
  r->set_end_unix(15);
  nlohmann::json d = JobDetailJson(job, 30);
  EXPECT_EQ(d["counter_map"]["emits"], 1ll << 40);
  EXPECT_EQ(d["tasks"][0]["attempts"][0]["records_in"], 1ull << 40);  // a number, not a string
  EXPECT_EQ(d["tasks"][0]["kind"], "MAP");
  EXPECT_EQ(d["phases"][0]["start_unix"], 11.0);
  EXPECT_EQ(d["phases"][1]["end_unix"], 15.0);
  EXPECT_EQ(d["phases"][2]["name"], "commit");
  EXPECT_EQ(d["phases"][2]["end_unix"], 20.0);
  EXPECT_EQ(d["locality"][0]["shard"], "shard0");
  EXPECT_EQ(d["locality"][0]["orphans_skipped"], 3);
  EXPECT_EQ(d["spec"]["name"], "wordcount");
  EXPECT_NE(Dump(d).find("bad "), std::string::npos);  // invalid UTF-8 replaced, not thrown
}

TEST(StatusJsonTest, WorkersShowRunningAttemptsAndHeartbeatAge) {
  rpc::ClusterStatusResponse cluster;
  rpc::WorkerInfo* w = cluster.add_workers();
  w->set_worker_id("w1");
  w->set_slots(2);
  w->set_last_heartbeat_unix(9);
  rpc::JobStatus job = Job("j", rpc::MAPPING);
  rpc::AttemptStatus* a = job.add_tasks()->add_attempts();
  a->set_worker_id("w1");
  a->set_state("running");
  nlohmann::json ws = WorkersJson(cluster, {job}, 10);
  EXPECT_EQ(ws[0]["heartbeat_age_s"], 1.0);
  EXPECT_EQ(ws[0]["slots_busy"], 1);
  EXPECT_EQ(ws[0]["running_attempts"][0]["job_id"], "j");
}

}  // namespace
}  // namespace aviary::http
