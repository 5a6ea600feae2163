#include "coordinator/job_counters.h"

#include <gtest/gtest.h>

namespace aviary::coordinator {
namespace {

Attempt Ended(AttemptState state, double start, double end, const rpc::TaskCounters& counters) {
  Attempt a;
  a.state = state;
  a.start_unix = start;
  a.end_unix = end;
  *a.result.mutable_task_counters() = counters;
  return a;
}

rpc::TaskCounters MapCounters(uint64_t records, uint64_t bytes, uint64_t emits, uint64_t rss) {
  rpc::TaskCounters c;
  c.set_input_records(records);
  c.set_input_bytes(bytes);
  c.set_map_emits(emits);
  c.set_reduce_calls(emits / 2);
  c.set_cpu_seconds(0.25);
  c.set_peak_rss_bytes(rss);
  return c;
}

// Two maps (the first won on its second attempt after a failure that had read 999 records),
// one reduce still running; then the reduce finishes.
Job TwoMapsOneReduce() {
  Job job;
  job.submit_unix = 100;
  job.maps.resize(2);
  job.maps[0].attempts.push_back(Ended(AttemptState::kFailed, 101, 102, MapCounters(999, 9999, 999, 1 << 30)));
  job.maps[0].attempts.push_back(Ended(AttemptState::kSucceeded, 102, 103, MapCounters(10, 100, 30, 5000)));
  job.maps[0].winner = 1;
  job.maps[1].attempts.push_back(Ended(AttemptState::kSucceeded, 101, 104, MapCounters(20, 200, 50, 7000)));
  job.maps[1].winner = 0;
  job.reduces.resize(1);
  Attempt running;
  running.start_unix = 104;
  running.progress = 40;
  running.live.set_reduce_input_values(40);
  running.live.set_shuffle_bytes(64);
  job.reduces[0].attempts.push_back(running);
  return job;
}

TEST(JobCountersTest, TotalsSumWinningAttemptsOnlyAndTakeTheLargestRss) {
  const rpc::TaskCounters totals = JobTotals(TwoMapsOneReduce());
  EXPECT_EQ(totals.input_records(), 30u);
  EXPECT_EQ(totals.input_bytes(), 300u);
  EXPECT_EQ(totals.map_emits(), 80u);
  EXPECT_EQ(totals.reduce_calls(), 15u + 25u);
  EXPECT_DOUBLE_EQ(totals.cpu_seconds(), 0.5);
  EXPECT_EQ(totals.peak_rss_bytes(), 7000u);  // the failed attempt's 1 GiB is not the job's
  EXPECT_EQ(totals.reduce_input_values(), 0u);  // the running reduce has not won yet
}

TEST(JobCountersTest, ProgressAddsTheBestRunningAttemptOfEachUnfinishedTask) {
  Job job = TwoMapsOneReduce();
  Attempt behind;
  behind.progress = 5;
  behind.live.set_reduce_input_values(5);
  job.reduces[0].attempts.push_back(behind);  // a speculative duplicate: not counted twice
  const rpc::TaskCounters progress = JobProgress(job);
  EXPECT_EQ(progress.input_records(), 30u);
  EXPECT_EQ(progress.reduce_input_values(), 40u);
  EXPECT_EQ(progress.shuffle_bytes(), 64u);
}

TEST(JobCountersTest, MongoCountsAndPhaseTimesOfAFinishedJob) {
  Job job = TwoMapsOneReduce();
  rpc::TaskCounters reduced;
  reduced.set_reduce_input_values(80);
  reduced.set_reduce_calls(7);
  reduced.set_output_records(12);
  reduced.set_fetch_millis(500);
  job.reduces[0].attempts[0] = Ended(AttemptState::kSucceeded, 104, 106, reduced);
  job.reduces[0].winner = 0;
  job.reduces_done = 1;
  job.end_unix = 107.25;
  const rpc::MapReduceCounts counts = MongoCounts(job, JobTotals(job));
  EXPECT_EQ(counts.input(), 30u);
  EXPECT_EQ(counts.emit(), 80u);
  EXPECT_EQ(counts.reduce(), 15u + 25u + 7u);  // combiner and reduce side
  EXPECT_EQ(counts.output(), 12u);
  EXPECT_EQ(counts.time_millis(), 7250u);
  EXPECT_EQ(counts.map_millis(), 3000u);     // 101 (first attempt) to 104 (last winner)
  EXPECT_EQ(counts.shuffle_millis(), 500u);  // the reduce's fetch
  EXPECT_EQ(counts.reduce_millis(), 1500u);  // 104.5 to 106
  EXPECT_EQ(counts.commit_millis(), 1250u);  // 106 to 107.25
}

TEST(JobCountersTest, ARunningJobHasNoTotalTimeYet) {
  const rpc::MapReduceCounts counts = MongoCounts(TwoMapsOneReduce(), rpc::TaskCounters());
  EXPECT_EQ(counts.time_millis(), 0u);
  EXPECT_EQ(counts.commit_millis(), 0u);
  EXPECT_EQ(counts.map_millis(), 3000u);
}

TEST(JobCountersTest, AnAttemptShowsLiveCountersWhileRunningAndItsResultAfter) {
  Job job = TwoMapsOneReduce();
  EXPECT_EQ(AttemptCounters(job.reduces[0].attempts[0]).reduce_input_values(), 40u);
  EXPECT_EQ(AttemptCounters(job.maps[0].attempts[0]).input_records(), 999u);
}

}  // namespace
}  // namespace aviary::coordinator
