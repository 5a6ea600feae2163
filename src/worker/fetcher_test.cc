#include "worker/fetcher.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <vector>

#include "common/scratch_dir.h"
#include "rpc/aviary.grpc.pb.h"
#include "rpc/fake_network.h"
#include "shuffle/test_util.h"
#include "worker/layout.h"

namespace aviary::worker {
namespace {

constexpr char kData[] = "map output partition bytes";

// A worker's shuffle service that fails the first `failures` fetches with `code`, then serves.
class FlakyShuffle final : public rpc::Worker::Service {
 public:
  FlakyShuffle(int failures, grpc::StatusCode code) : failures_(failures), code_(code) {}

  grpc::Status FetchPartition(grpc::ServerContext*, const rpc::FetchPartitionRequest*,
                              grpc::ServerWriter<rpc::DataChunk>* writer) override {
    if (tries++ < failures_) return grpc::Status(code_, "injected failure");
    rpc::DataChunk chunk;
    chunk.set_data(kData);
    chunk.set_total_bytes(sizeof kData - 1);
    writer->Write(chunk);
    return grpc::Status::OK;
  }

  std::atomic<int> tries{0};

 private:
  const int failures_;
  const grpc::StatusCode code_;
};

// Real files, fake clock: records each back-off wait instead of sleeping.
class SleeplessEnv final : public EnvWrapper {
 public:
  SleeplessEnv() : EnvWrapper(Env::Default()) {}
  void SleepForMicros(int64_t micros) override {
    std::lock_guard<std::mutex> lock(mu_);
    sleeps_.push_back(micros);
  }
  std::vector<int64_t> sleeps() {
    std::lock_guard<std::mutex> lock(mu_);
    return sleeps_;
  }

 private:
  std::mutex mu_;
  std::vector<int64_t> sleeps_;  // guarded by mu_
};

// The fake network, counting the channels asked of it.
class CountingNetwork final : public rpc::ChannelFactory {
 public:
  explicit CountingNetwork(rpc::ChannelFactory* network) : network_(network) {}
  using ChannelFactory::NewChannel;
  std::shared_ptr<grpc::Channel> NewChannel(const std::string& address, const rpc::ChannelOptions& options) override {
    ++made;
    return network_->NewChannel(address, options);
  }
  std::atomic<int> made{0};

 private:
  rpc::ChannelFactory* const network_;
};

class FetcherTest : public ::testing::Test {
 protected:
  ScratchDir scratch_;
  const std::string dir_ = scratch_.path();

  void SetUp() override {
    spec_.set_job_id("job-1");
    spec_.set_task(0);
    rpc::MapOutputHost* host = spec_.add_map_output_hosts();
    host->set_worker_address("mapper:1");
    host->add_map_tasks(7);
    host->add_attempts(1);
  }

  FetchResult Fetch() { return FetchPartitions(&env_, spec_, dir_, &progress_, &network_); }

  rpc::TaskSpec spec_;
  SleeplessEnv env_;
  ProgressReporter progress_{&env_, -1};
  rpc::FakeNetwork network_;
};

TEST_F(FetcherTest, RetriesWithGrowingBackoffUntilTheMapperServes) {
  FlakyShuffle mapper(2, grpc::StatusCode::UNAVAILABLE);
  network_.Serve("mapper:1", &mapper);
  FetchResult result = Fetch();
  EXPECT_TRUE(result.error.ok()) << result.error.message();
  EXPECT_TRUE(result.lost_map_tasks.empty());
  EXPECT_EQ(mapper.tries, 3);
  EXPECT_EQ(env_.sleeps(), (std::vector<int64_t>{FetchBackoffMicros(1), FetchBackoffMicros(2)}));
  EXPECT_EQ(env_.sleeps(), (std::vector<int64_t>{400'000, 800'000}));
  ASSERT_EQ(result.segment_files.size(), 1u);
  std::string contents;
  ASSERT_TRUE(ReadFileToString(&env_, result.segment_files[0], &contents).ok());
  EXPECT_EQ(contents, kData);
  EXPECT_EQ(result.bytes, sizeof kData - 1);
}

TEST_F(FetcherTest, AMapperThatNeverAnswersIsReportedLostAfterEveryTry) {
  FlakyShuffle mapper(1000, grpc::StatusCode::UNAVAILABLE);
  network_.Serve("mapper:1", &mapper);
  FetchResult result = Fetch();
  EXPECT_EQ(mapper.tries, kFetchTries);
  EXPECT_EQ(env_.sleeps(), (std::vector<int64_t>{400'000, 800'000, 1'600'000}));
  EXPECT_EQ(result.lost_map_tasks, (std::vector<uint32_t>{7}));
  EXPECT_EQ(result.error.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(result.local_error.ok());
}

TEST_F(FetcherTest, AnUnreachableHostIsReportedLost) {
  FetchResult result = Fetch();  // nobody serves mapper:1
  EXPECT_EQ(env_.sleeps().size(), static_cast<size_t>(kFetchTries - 1));
  EXPECT_EQ(result.lost_map_tasks, (std::vector<uint32_t>{7}));
  EXPECT_EQ(result.error.code(), StatusCode::kUnavailable);
}

// Each try after a failure gets a fresh channel: one that failed to connect would wait out its
// reconnect back-off and fail the try at once.
TEST_F(FetcherTest, EachRetryOpensAFreshChannelAndAllAreHandedBackOpen) {
  FlakyShuffle mapper(2, grpc::StatusCode::UNAVAILABLE);
  network_.Serve("mapper:1", &mapper);
  CountingNetwork counting(&network_);
  FetchResult result = FetchPartitions(&env_, spec_, dir_, &progress_, &counting);
  EXPECT_TRUE(result.error.ok()) << result.error.message();
  EXPECT_EQ(mapper.tries, 3);
  EXPECT_EQ(counting.made, 3);
  EXPECT_EQ(result.channels.size(), 3u);
}

// The outputs of one host come over one channel, which the caller gets back still open (closing
// it would cost a reducer milliseconds on the job's critical path).
TEST_F(FetcherTest, OutputsOfOneHostShareOneChannel) {
  spec_.clear_map_output_hosts();
  uint32_t map_task = 0;
  for (const char* address : {"mapper:1", "mapper:2"}) {
    rpc::MapOutputHost* host = spec_.add_map_output_hosts();
    host->set_worker_address(address);
    for (int i = 0; i < 6; ++i) {
      host->add_map_tasks(map_task++);
      host->add_attempts(1);
    }
  }
  FlakyShuffle first(0, grpc::StatusCode::OK), second(0, grpc::StatusCode::OK);
  network_.Serve("mapper:1", &first);
  network_.Serve("mapper:2", &second);
  CountingNetwork counting(&network_);
  FetchResult result = FetchPartitions(&env_, spec_, dir_, &progress_, &counting);
  ASSERT_TRUE(result.error.ok()) << result.error.message();
  EXPECT_EQ(first.tries + second.tries, 12);
  EXPECT_EQ(counting.made, 2);
  ASSERT_EQ(result.channels.size(), 2u);
  EXPECT_NE(result.channels[0], result.channels[1]);
  EXPECT_EQ(std::count(result.segment_files.begin(), result.segment_files.end(), ""), 0);
}

// A mapper that is up but lost the file will not find it on a second try.
TEST_F(FetcherTest, NotFoundIsNotRetried) {
  FlakyShuffle mapper(1000, grpc::StatusCode::NOT_FOUND);
  network_.Serve("mapper:1", &mapper);
  FetchResult result = Fetch();
  EXPECT_EQ(mapper.tries, 1);
  EXPECT_TRUE(env_.sleeps().empty());
  EXPECT_EQ(result.lost_map_tasks, (std::vector<uint32_t>{7}));
  EXPECT_EQ(result.error.code(), StatusCode::kNotFound);
}

// Once a host failed every try, its other outputs are lost without waiting on each in turn.
TEST_F(FetcherTest, OtherOutputsOfAHostThatFailedEveryTryAreNotTriedAgain) {
  spec_.clear_map_output_hosts();
  rpc::MapOutputHost* host = spec_.add_map_output_hosts();
  host->set_worker_address("mapper:1");
  for (uint32_t m = 0; m < 8; ++m) {
    host->add_map_tasks(m);
    host->add_attempts(1);
  }
  FlakyShuffle mapper(1000, grpc::StatusCode::UNAVAILABLE);
  network_.Serve("mapper:1", &mapper);
  FetchResult result = Fetch();
  EXPECT_EQ(result.lost_map_tasks.size(), 8u);
  // Four fetch threads may each be trying when the first gives up; the rest never try.
  EXPECT_LE(mapper.tries, 4 * kFetchTries);
  EXPECT_LT(mapper.tries, 8 * kFetchTries);
}

// This worker's own map outputs are read from its disk: no connection is made (nobody serves
// the address here), and the segment is the partition's bytes exactly.
TEST_F(FetcherTest, AMapOutputOnThisWorkerIsCopiedFromDiskWithoutAConnection) {
  const std::string job_dir = JobDir(dir_ + "/data", "job-1");
  const std::string map_output = MapOutputPath(AttemptDir(dir_ + "/data", "job-1", rpc::MAP, 7, 1));
  {
    shuffle::testing::WordCountJob job;
    shuffle::MapOutputOptions options;
    options.num_partitions = 2;
    options.spill_dir = job_dir + "/map-7-1/spill";
    ASSERT_TRUE(env_.CreateDirs(job_dir + "/map-7-1").ok());
    auto collector = shuffle::MapOutputCollector::Create(&env_, &job, options);
    ASSERT_TRUE(collector.ok());
    shuffle::testing::MapLines(&job, collector->get(), {"a b c d e f g", "a a b"});
    ASSERT_TRUE((*collector)->Finish(map_output, nullptr).ok());
  }
  spec_.set_task(1);
  spec_.set_worker_id("w1-here");
  spec_.set_work_dir(AttemptDir(dir_ + "/data", "job-1", rpc::REDUCE, 1, 1));
  spec_.mutable_map_output_hosts(0)->set_worker_id("w1-here");
  const FetchResult result = Fetch();
  ASSERT_TRUE(result.error.ok()) << result.error.ToString();
  ASSERT_TRUE(result.local_error.ok()) << result.local_error.ToString();
  ASSERT_EQ(result.segment_files.size(), 1u);
  shuffle::testing::ExtractSegment(map_output, 1, dir_ + "/expected");
  std::string got, want;
  ASSERT_TRUE(ReadFileToString(&env_, result.segment_files[0], &got).ok());
  ASSERT_TRUE(ReadFileToString(&env_, dir_ + "/expected", &want).ok());
  EXPECT_EQ(got, want);
  EXPECT_EQ(result.bytes, want.size());
  EXPECT_TRUE(env_.sleeps().empty());
}

// ... and one that is not there any more is lost at once: reading the file again would not help.
TEST_F(FetcherTest, AMissingMapOutputOnThisWorkerIsLostWithoutRetries) {
  spec_.set_worker_id("w1-here");
  spec_.set_work_dir(AttemptDir(dir_ + "/data", "job-1", rpc::REDUCE, 0, 1));
  spec_.mutable_map_output_hosts(0)->set_worker_id("w1-here");
  const FetchResult result = Fetch();
  EXPECT_EQ(result.lost_map_tasks, (std::vector<uint32_t>{7}));
  EXPECT_EQ(result.error.code(), StatusCode::kNotFound) << result.error.ToString();
  EXPECT_TRUE(result.local_error.ok());
  EXPECT_TRUE(env_.sleeps().empty());
}

}  // namespace
}  // namespace aviary::worker
