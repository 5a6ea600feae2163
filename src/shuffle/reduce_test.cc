#include "shuffle/reduce.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "shuffle/key.h"
#include "shuffle/map_output.h"
#include "shuffle/test_util.h"

namespace aviary::shuffle {
namespace {

using testing::ExtractSegment;
using testing::FakeOutput;
using testing::ListJob;
using testing::MapLines;
using testing::ScratchDir;
using testing::UnionJob;
using testing::WordCountJob;

constexpr uint32_t kPartitions = 3;

class ReduceTest : public ::testing::Test {
 protected:
  // Runs one map task per entry of `inputs` (each a list of (key, value) emits).
  void MapTasks(Job* job, const std::vector<std::vector<std::pair<std::string, Value>>>& inputs) {
    for (size_t m = 0; m < inputs.size(); ++m) {
      MapOutputOptions options;
      options.num_partitions = kPartitions;
      options.spill_dir = dir_.File("spill" + std::to_string(m));
      auto collector = MapOutputCollector::Create(Env::Default(), job, options);
      ASSERT_TRUE(collector.ok());
      for (const auto& [k, v] : inputs[m]) (*collector)->Emit(k, v.view());
      ASSERT_TRUE((*collector)->Finish(MapFile(m), nullptr).ok());
    }
    num_maps_ = inputs.size();
  }

  std::string MapFile(size_t m) const { return dir_.File("map" + std::to_string(m)); }

  // The segment files of `partition`, one per map task.
  std::vector<std::string> Fetch(uint32_t partition) {
    std::vector<std::string> files;
    for (size_t m = 0; m < num_maps_; ++m) {
      files.push_back(dir_.File("seg" + std::to_string(m) + "_" + std::to_string(partition)));
      ExtractSegment(MapFile(m), partition, files.back());
    }
    return files;
  }

  // Reduces every partition into `out`, checking that each partition's keys come out sorted.
  Status ReduceAll(Job* job, FakeOutput* out, ReduceStats* total = nullptr) {
    for (uint32_t p = 0; p < kPartitions; ++p) {
      FakeOutput part;
      ReduceStats stats;
      RETURN_IF_ERROR(RunReduce(Env::Default(), job, Fetch(p), &part, &stats));
      out->rows.insert(out->rows.end(), part.rows.begin(), part.rows.end());
      if (total != nullptr) {
        total->records_in += stats.records_in;
        total->keys_out += stats.keys_out;
        total->bytes_in += stats.bytes_in;
      }
    }
    return Status::OK();
  }

  static std::pair<std::string, Value> Pair(std::string key, Value value) { return {std::move(key), std::move(value)}; }

  ScratchDir dir_;
  size_t num_maps_ = 0;
};

TEST_F(ReduceTest, WordCountEndToEnd) {
  WordCountJob job;
  std::vector<std::vector<std::pair<std::string, Value>>> inputs(3);
  std::map<std::string, std::string> expected;
  std::map<std::string, int64_t> counts;
  for (int m = 0; m < 3; ++m) {
    for (int i = 0; i < 3000; ++i) {
      const std::string word = "w" + std::to_string((i * (m + 7)) % 500);
      inputs[m].push_back(Pair(word, Value::Int64(1)));
      ++counts[word];
    }
  }
  for (const auto& [w, n] : counts) expected[w] = "i:" + std::to_string(n);
  MapTasks(&job, inputs);
  FakeOutput out;
  ReduceStats stats;
  ASSERT_TRUE(ReduceAll(&job, &out, &stats).ok());
  EXPECT_EQ(out.AsMap(), expected);
  EXPECT_EQ(stats.keys_out, counts.size());
  EXPECT_GT(stats.bytes_in, 0u);
}

TEST_F(ReduceTest, OutputIsInKeyOrderWithinAPartition) {
  WordCountJob job;
  std::vector<std::pair<std::string, Value>> input;
  for (int i = 0; i < 1000; ++i) input.push_back(Pair("k" + std::to_string(i), Value::Int64(1)));
  MapTasks(&job, {input, input});
  for (uint32_t p = 0; p < kPartitions; ++p) {
    FakeOutput out;
    ASSERT_TRUE(RunReduce(Env::Default(), &job, Fetch(p), &out, nullptr).ok());
    for (size_t i = 1; i < out.rows.size(); ++i) EXPECT_LT(out.rows[i - 1].first, out.rows[i].first);
  }
}

TEST_F(ReduceTest, SingleValueSkipsReduceAndFinalizeRuns) {
  UnionJob job;
  job.finalize = true;
  MapTasks(&job, {{Pair("both", UnionJob::Array({"a", "b"})), Pair("once", UnionJob::Array({"x"}))},
                  {Pair("both", UnionJob::Array({"b", "c"}))}});
  job.reduce_calls = 0;
  FakeOutput out;
  ASSERT_TRUE(ReduceAll(&job, &out).ok());
  EXPECT_EQ(job.reduce_calls, 1);  // only "both"
  EXPECT_EQ(out.AsMap(), (std::map<std::string, std::string>{{"both", "i:3"}, {"once", "i:1"}}));
}

TEST_F(ReduceTest, NoneCombinerReducesEveryValue) {
  ListJob job;
  MapTasks(&job, {{Pair("k", Value::String("b")), Pair("k", Value::String("a"))}, {Pair("k", Value::String("c"))}});
  FakeOutput out;
  ASSERT_TRUE(ReduceAll(&job, &out).ok());
  EXPECT_EQ(out.AsMap(), (std::map<std::string, std::string>{{"k", "a,b,c"}}));
}

TEST_F(ReduceTest, ThrowingReduceIsAnInternalError) {
  UnionJob job;
  MapTasks(&job, {{Pair("k", UnionJob::Array({"a"}))}, {Pair("k", UnionJob::Array({"b"}))}});
  const std::string bad = "k";
  job.throw_on_key = &bad;
  FakeOutput out;
  const Status s = ReduceAll(&job, &out);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message(), "plugin threw boom in Reduce for key \"k\"");
}

TEST_F(ReduceTest, ThrowingFinalizeIsAnInternalError) {
  UnionJob job;
  job.finalize = true;
  job.throw_in_finalize = true;
  MapTasks(&job, {{Pair("k", UnionJob::Array({"a"}))}});
  FakeOutput out;
  const Status s = ReduceAll(&job, &out);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("bad finalize in Finalize"), std::string::npos) << s.message();
}

// Builds one map output with enough records for several blocks in partition 0's segment.
class DamagedSegmentTest : public ReduceTest {
 protected:
  void SetUp() override {
    std::vector<std::pair<std::string, Value>> input;
    for (int i = 0; i < 20000; ++i) input.push_back(Pair("key" + std::to_string(i), Value::Int64(i)));
    MapTasks(&job_, {input});
    files_ = Fetch(0);
    ASSERT_TRUE(ReadFileToString(Env::Default(), files_[0], &bytes_).ok());
  }
  Status ReduceWith(const std::string& bytes) {
    EXPECT_TRUE(WriteFileAtomically(Env::Default(), files_[0], bytes).ok());
    FakeOutput out;
    return RunReduce(Env::Default(), &job_, files_, &out, nullptr);
  }

  WordCountJob job_;
  std::vector<std::string> files_;
  std::string bytes_;
};

TEST_F(DamagedSegmentTest, CorruptByteIsDataLossNamingTheFile) {
  std::string bad = bytes_;
  bad[bad.size() / 3] ^= 0x10;
  const Status s = ReduceWith(bad);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find(files_[0]), std::string::npos) << s.message();
}

TEST_F(DamagedSegmentTest, TruncatedSegmentIsDataLoss) {
  EXPECT_EQ(ReduceWith(bytes_.substr(0, bytes_.size() - 1)).code(), StatusCode::kDataLoss);
  EXPECT_EQ(ReduceWith(bytes_.substr(0, bytes_.size() / 2)).code(), StatusCode::kDataLoss);
  EXPECT_TRUE(ReduceWith(bytes_).ok());
}

TEST_F(DamagedSegmentTest, MissingFileIsNotFound) {
  FakeOutput out;
  EXPECT_EQ(RunReduce(Env::Default(), &job_, {dir_.File("nope")}, &out, nullptr).code(), StatusCode::kNotFound);
}

TEST_F(DamagedSegmentTest, ProgressIsReportedEvery4096Records) {
  std::vector<uint64_t> calls;
  auto record = [](void* arg, uint64_t n) { static_cast<std::vector<uint64_t>*>(arg)->push_back(n); };
  FakeOutput out;
  ReduceStats stats;
  ASSERT_TRUE(RunReduce(Env::Default(), &job_, files_, &out, &stats, record, &calls).ok());
  ASSERT_GE(calls.size(), stats.records_in / 4096);
  for (size_t i = 0; i + 1 < calls.size(); ++i) EXPECT_EQ(calls[i], 4096 * (i + 1));
  EXPECT_EQ(calls.back(), stats.records_in);
}

TEST_F(DamagedSegmentTest, OutputErrorStopsTheReduce) {
  FakeOutput out;
  out.fail_writes = true;
  const Status s = RunReduce(Env::Default(), &job_, files_, &out, nullptr);
  EXPECT_EQ(s.message(), "disk full");
}

}  // namespace
}  // namespace aviary::shuffle
