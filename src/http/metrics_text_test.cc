#include "http/metrics_text.h"

#include <gtest/gtest.h>

#include "http/coordinator_metrics.h"

namespace aviary::http {
namespace {

TEST(MetricsTextTest, EscapesLabelValues) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}

TEST(MetricsTextTest, FormatsValues) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(0.01), "0.01");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
}

TEST(MetricsTextTest, WritesFamiliesAndCumulativeHistograms) {
  MetricsText m;
  m.Family("x_seconds", "histogram", "Durations.\nSecond line");
  Histogram h({0.1, 1});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  m.HistogramSamples("x_seconds", {{"kind", "map"}}, h);
  EXPECT_EQ(m.text(),
            "# HELP x_seconds Durations.\\nSecond line\n"
            "# TYPE x_seconds histogram\n"
            "x_seconds_bucket{kind=\"map\",le=\"0.1\"} 1\n"
            "x_seconds_bucket{kind=\"map\",le=\"1\"} 2\n"
            "x_seconds_bucket{kind=\"map\",le=\"+Inf\"} 3\n"
            "x_seconds_sum{kind=\"map\"} 5.55\n"
            "x_seconds_count{kind=\"map\"} 3\n");
}

TEST(CoordinatorMetricsTest, CountsJobsAttemptsSlotsAndLease) {
  rpc::JobStatus job;
  job.set_state(rpc::MAPPING);
  rpc::TaskStatus* t = job.add_tasks();
  t->set_kind(rpc::MAP);
  t->set_state(rpc::RUNNING);
  rpc::AttemptStatus* a = t->add_attempts();
  a->set_state("running");
  a->set_worker_id("w1");
  a->set_records_in(7);
  rpc::ClusterStatusResponse cluster;
  rpc::WorkerInfo* w = cluster.add_workers();
  w->set_worker_id("w1");
  w->set_alive(true);
  w->set_slots(2);
  w->set_last_heartbeat_unix(99.5);
  Leadership leader{true, 4, {{"GetJob/NOT_FOUND", 2}}};
  const std::string text = CoordinatorMetrics({job}, cluster, leader, 100);
  EXPECT_NE(text.find("aviary_jobs{state=\"MAPPING\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("aviary_attempts{kind=\"map\",state=\"running\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("aviary_records_read_total{kind=\"map\"} 7\n"), std::string::npos);
  EXPECT_NE(text.find("aviary_worker_slots{worker=\"w1\",state=\"free\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("aviary_worker_heartbeat_age_seconds{worker=\"w1\",address=\"\"} 0.5\n"), std::string::npos);
  EXPECT_NE(text.find("aviary_rpc_errors_total{method=\"GetJob\",code=\"NOT_FOUND\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("aviary_coordinator_lease_term 4\n"), std::string::npos);
  EXPECT_NE(text.find("aviary_coordinator_leader 1\n"), std::string::npos);
  EXPECT_NE(text.find("aviary_attempt_duration_seconds_bucket{kind=\"reduce\",le=\"+Inf\"} 0\n"), std::string::npos);
}

}  // namespace
}  // namespace aviary::http
