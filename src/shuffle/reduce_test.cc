#include "shuffle/reduce.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "shuffle/existing_result.h"
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
        total->groups += stats.groups;
        total->reduce_calls += stats.reduce_calls;
        total->bytes_out += stats.bytes_out;
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
  EXPECT_EQ(stats.groups, counts.size());
  // Each map's combiner leaves one count per distinct word; a word from two or more maps is folded once.
  std::map<std::string, uint64_t> maps_of_word;
  for (const auto& input : inputs) {
    std::map<std::string, bool> seen;
    for (const auto& [word, one] : input) seen[word] = true;
    for (const auto& [word, yes] : seen) ++maps_of_word[word];
  }
  uint64_t values = 0, folded = 0;
  for (const auto& [word, maps] : maps_of_word) {
    values += maps;
    folded += maps > 1 ? 1 : 0;
  }
  EXPECT_EQ(stats.records_in, values);
  EXPECT_EQ(stats.reduce_calls, folded);
}

TEST_F(ReduceTest, OutputBytesAreTheResultDocumentsAsBson) {
  // {_id: "ab", value: 7}: 4 + (1 + 4 + 4 + 3) + (1 + 6 + 8) + 1 bytes
  const int64_t seven = 7;
  EXPECT_EQ(ResultDocumentBytes(ValueView::String("ab"), ValueView::Int64(seven)), 32u);
  WordCountJob job;
  MapTasks(&job, {{Pair("ab", Value::Int64(3))}, {Pair("ab", Value::Int64(4)), Pair("xyz", Value::Int64(1))}});
  FakeOutput out;
  ReduceStats stats;
  ASSERT_TRUE(ReduceAll(&job, &out, &stats).ok());
  EXPECT_EQ(stats.bytes_out, 32u + 33u);
  EXPECT_EQ(stats.groups, 2u);
  EXPECT_EQ(stats.reduce_calls, 1u);  // "xyz" has one value: no fold
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
  ReduceStats stats;
  ASSERT_TRUE(ReduceAll(&job, &out, &stats).ok());
  EXPECT_EQ(job.reduce_calls, 1);  // only "both"
  EXPECT_EQ(stats.reduce_calls, 1u);
  EXPECT_EQ(out.AsMap(), (std::map<std::string, std::string>{{"both", "i:3"}, {"once", "i:1"}}));
}

TEST_F(ReduceTest, NoneCombinerReducesEveryValue) {
  ListJob job;
  MapTasks(&job, {{Pair("k", Value::String("b")), Pair("k", Value::String("a"))}, {Pair("k", Value::String("c"))}});
  FakeOutput out;
  ASSERT_TRUE(ReduceAll(&job, &out).ok());
  EXPECT_EQ(out.AsMap(), (std::map<std::string, std::string>{{"k", "a,b,c"}}));
}

// A group's values are copied into one buffer that grows as they come: every value must reach
// Reduce() whole, however often it grew, from several map outputs and from values of every size.
TEST_F(ReduceTest, ManyValuesOfOneKeyAllReachReduceIntact) {
  ListJob job;
  std::vector<std::vector<std::pair<std::string, Value>>> maps(3);
  std::vector<std::string> want;
  for (int i = 0; i < 600; ++i) {
    std::string v = std::to_string(100000 + i) + std::string(static_cast<size_t>(i % 37) * 11, 'x');
    want.push_back(v);
    maps[static_cast<size_t>(i) % 3].push_back(Pair("k", Value::String(v)));
  }
  MapTasks(&job, maps);
  FakeOutput out;
  ASSERT_TRUE(ReduceAll(&job, &out).ok());
  std::sort(want.begin(), want.end());
  std::string joined;
  for (const std::string& s : want) joined += (joined.empty() ? "" : ",") + s;
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(out.AsMap().at("k"), joined);
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

namespace aviary::shuffle {
namespace {

// kSum with a finalize that counts its calls and marks its result.
class SumFinalizeJob : public testing::WordCountJob {
 public:
  bool has_finalize() const override { return true; }
  Value Finalize(ValueView, ValueView reduced) override {
    ++finalize_calls;
    return DocumentBuilder().Append("total", reduced).Finish();
  }
  int finalize_calls = 0;
};

// Out mode "reduce": map task 0 emits new values, map task 1 reads the existing target.
class ExistingResultTest : public ::testing::Test {
 protected:
  void MapNew(Job* job, const std::vector<std::pair<Value, Value>>& pairs) {
    auto collector = Collector(job, false, "new");
    for (const auto& [k, v] : pairs) collector->Emit(k.view(), v.view());
    ASSERT_TRUE(collector->Finish(dir_.File("new.out"), nullptr).ok());
  }
  void MapExisting(Job* job, const std::vector<Value>& documents) {
    auto collector = Collector(job, true, "old");
    for (const Value& d : documents) collector->EmitExisting(d.view().as_document());
    ASSERT_TRUE(collector->status().ok()) << collector->status().ToString();
    ASSERT_TRUE(collector->Finish(dir_.File("old.out"), nullptr).ok());
  }
  std::unique_ptr<MapOutputCollector> Collector(Job* job, bool existing, const std::string& name) {
    MapOutputOptions options;
    options.num_partitions = 2;
    options.spill_dir = dir_.File("spill_" + name);
    options.existing_results = existing;
    auto c = MapOutputCollector::Create(Env::Default(), job, options);
    EXPECT_TRUE(c.ok());
    return std::move(c).value();
  }
  Status Reduce(Job* job, FakeOutput* out, uint64_t* keys_out) {
    *keys_out = 0;
    for (uint32_t p = 0; p < 2; ++p) {
      std::vector<std::string> files;
      for (const char* m : {"new", "old"}) {
        files.push_back(dir_.File(std::string(m) + std::to_string(p)));
        ExtractSegment(dir_.File(std::string(m) + ".out"), p, files.back());
      }
      ReduceStats stats;
      RETURN_IF_ERROR(RunReduce(Env::Default(), job, files, out, &stats));
      *keys_out += stats.keys_out;
    }
    return Status::OK();
  }
  ScratchDir dir_;
};

Value Doc(DocumentBuilder b) { return b.Finish(); }

TEST_F(ExistingResultTest, OldValuesAreReducedUnderTheirIdAndUntouchedKeysWriteNothing) {
  SumFinalizeJob job;
  const int32_t seven32 = 7;
  MapNew(&job, {{Value::Int64(1), Value::Int64(1)},
                {Value::Int64(2), Value::Int64(5)},
                {Value::Double(3.0), Value::Int64(1)},
                {Value::Int64(3), Value::Int64(1)}});
  MapExisting(&job, {
                        // as MongoDB's JavaScript mapReduce writes it: doubles
                        Doc(DocumentBuilder().Append("_id", 1.0).Append("value", 100.0)),
                        // no new result: must stay exactly as it is, so nothing is written
                        Doc(DocumentBuilder()
                                .Append("_id", ValueView(Type::kInt32, reinterpret_cast<const char*>(&seven32), 4))
                                .Append("value", 9)
                                .Append("extra", "x")),
                        // no value field: neither an error nor folded in
                        Doc(DocumentBuilder().Append("_id", 2).Append("other", "no value")),
                        Doc(DocumentBuilder().Append("value", 1)),  // no _id: skipped
                    });
  FakeOutput out;
  uint64_t keys_out = 0;
  ASSERT_TRUE(Reduce(&job, &out, &keys_out).ok());
  // Show() prints documents by type only; check the finalized totals through the rows' keys and
  // the finalize count, and the values through a second job without finalize below.
  EXPECT_EQ(keys_out, 3u);
  EXPECT_EQ(job.finalize_calls, 3);
  std::map<std::string, std::string> ids = out.AsMap();
  EXPECT_EQ(ids.count("d:1.000000"), 1u) << "the target's own double _id is kept";
  EXPECT_EQ(ids.count("i:2"), 1u);
  EXPECT_EQ(ids.count("i:3"), 1u);
  EXPECT_EQ(ids.count("i:7"), 0u);
}

TEST_F(ExistingResultTest, SumsReachTheOldValue) {
  testing::WordCountJob job;
  MapNew(&job, {{Value::Int64(1), Value::Int64(1)}, {Value::String("w"), Value::Int64(2)}});
  MapExisting(&job, {Doc(DocumentBuilder().Append("_id", 1.0).Append("value", 100.0)),
                     Doc(DocumentBuilder().Append("_id", "w").Append("value", 40)),
                     Doc(DocumentBuilder().Append("_id", "old").Append("value", 1))});
  FakeOutput out;
  uint64_t keys_out = 0;
  ASSERT_TRUE(Reduce(&job, &out, &keys_out).ok());
  EXPECT_EQ(out.AsMap(), (std::map<std::string, std::string>{{"d:1.000000", "d:101.000000"}, {"w", "i:42"}}));
}

TEST_F(ExistingResultTest, PluginsCannotEmitTheExistingTag) {
  testing::WordCountJob job;
  auto collector = Collector(&job, false, "p");
  const std::string doc = "\x05\0\0\0\0";  // an empty document
  collector->Emit(ValueView::String("k"), ValueView(kExistingResultType, doc.data(), doc.size()));
  EXPECT_FALSE(collector->status().ok());
}

}  // namespace
}  // namespace aviary::shuffle
