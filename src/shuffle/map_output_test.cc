#include "shuffle/map_output.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "shuffle/hash.h"
#include "shuffle/test_util.h"

namespace aviary::shuffle {
namespace {

using testing::DoubleSumJob;
using testing::ListJob;
using testing::MapLines;
using testing::Pairs;
using testing::ReadMapOutput;
using testing::ScratchDir;
using testing::ShowEncoded;
using testing::StrKey;
using testing::UnionJob;
using testing::WordCountJob;

MapOutputOptions Options(const ScratchDir& dir, uint32_t partitions, uint64_t budget = 256 << 20) {
  MapOutputOptions options;
  options.num_partitions = partitions;
  options.memory_budget_bytes = budget;
  options.spill_dir = dir.File("spill");
  return options;
}

std::unique_ptr<MapOutputCollector> NewCollector(Job* job, const MapOutputOptions& options, Env* env = Env::Default()) {
  auto c = MapOutputCollector::Create(env, job, options);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : nullptr;
}

// Lines of words from a skewed vocabulary, so some words are frequent and many are rare.
std::vector<std::string> Lines(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> lines;
  for (int i = 0; i < n; ++i) {
    std::string line;
    for (int w = 0; w < 8; ++w) {
      const uint32_t rank = static_cast<uint32_t>(std::pow(rng() % 100000 / 100000.0, 3) * 3000);
      line += "w" + std::to_string(rank) + " ";
    }
    lines.push_back(line);
  }
  return lines;
}

std::map<std::string, int64_t> CountWords(const std::vector<std::string>& lines) {
  std::map<std::string, int64_t> counts;
  for (const std::string& line : lines) {
    size_t start = 0;
    while (start < line.size()) {
      size_t end = line.find(' ', start);
      if (end == std::string::npos) end = line.size();
      if (end > start) ++counts[line.substr(start, end - start)];
      start = end + 1;
    }
  }
  return counts;
}

TEST(MapOutputTest, WordCountSumsPerKeyInSortedPartitions) {
  ScratchDir dir;
  WordCountJob job;
  auto collector = NewCollector(&job, Options(dir, 4));
  const auto lines = Lines(2000, 1);
  MapLines(&job, collector.get(), lines);
  ASSERT_TRUE(collector->status().ok());
  MapOutputStats stats;
  const std::string path = dir.File("map.out");
  ASSERT_TRUE(collector->Finish(path, &stats).ok());

  std::map<std::string, int64_t> got;
  const std::vector<Pairs> partitions = ReadMapOutput(path, 4);
  for (uint32_t p = 0; p < 4; ++p) {
    for (size_t i = 0; i < partitions[p].size(); ++i) {
      const auto& [key, value] = partitions[p][i];
      EXPECT_EQ(DefaultPartition(HashKey(key), 4), p);
      if (i > 0) {
        EXPECT_LT(CompareKeys(partitions[p][i - 1].first, key), 0);
      }
      got[ShowEncoded(key)] = DecodeValue(value).as_int();
    }
    EXPECT_EQ(stats.partition_bytes[p], LocatePartition(Env::Default(), path, p)->length);
  }
  const auto expected = CountWords(lines);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(stats.records_emitted, 2000u * 8);
  EXPECT_EQ(stats.records_out, expected.size());
  EXPECT_EQ(stats.spills, 0u);
  EXPECT_FALSE(Env::Default()->FileExists(path + ".tmp"));
  // The engine counters: every emit went to the sum combiner, which folded it into its word.
  EXPECT_EQ(stats.map_emits, 2000u * 8);
  EXPECT_EQ(collector->emitted(), 2000u * 8);
  EXPECT_EQ(stats.combine_input_records, 2000u * 8);
  EXPECT_EQ(stats.combine_output_records, expected.size());
  EXPECT_EQ(stats.reduce_calls, 2000u * 8 - expected.size());
  EXPECT_EQ(stats.output_records, expected.size());
  EXPECT_EQ(stats.output_bytes, *Env::Default()->GetFileSize(path));
  EXPECT_EQ(stats.spilled_records, 0u);
  EXPECT_EQ(stats.spilled_bytes, 0u);
}

// Keys inside a readable range are loaded in whole words (LoadPaddedShortKey); the output
// must not change, whatever bytes follow a key and however close to the range's end it lies.
TEST(MapOutputTest, KeysInTheReadableRangeGiveTheSameOutput) {
  std::mt19937 rng(7);
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    text += std::string(rng() % 20, static_cast<char>('a' + rng() % 3));  // lengths 0..19, few letters: repeats
    text += ' ';
  }
  text += "tail";  // the last key ends where the range does
  std::vector<std::string_view> lines;  // views into the one buffer, as the files input hands them over
  for (size_t at = 0; at < text.size(); at += 997) lines.push_back(std::string_view(text).substr(at, 997));
  const RecordSource source;
  ScratchDir dir;
  std::string outputs[2];
  for (int with_range = 0; with_range < 2; ++with_range) {
    WordCountJob job;
    auto collector = NewCollector(&job, Options(dir, 3));
    if (with_range) collector->SetReadableRange(text.data(), text.data() + text.size());
    for (std::string_view line : lines) job.Map(Record(line, nullptr, source), *collector);
    collector->SetReadableRange(nullptr, nullptr);
    MapOutputStats stats;
    const std::string path = dir.File("map.out" + std::to_string(with_range));
    ASSERT_TRUE(collector->Finish(path, &stats).ok());
    ASSERT_TRUE(ReadFileToString(Env::Default(), path, &outputs[with_range]).ok());
  }
  EXPECT_EQ(outputs[0], outputs[1]);
  std::map<std::string, int64_t> got;
  for (const Pairs& partition : ReadMapOutput(dir.File("map.out1"), 3)) {
    for (const auto& [key, value] : partition) got[ShowEncoded(key)] = DecodeValue(value).as_int();
  }
  EXPECT_EQ(got, CountWords(std::vector<std::string>(lines.begin(), lines.end())));
}

TEST(MapOutputTest, EmptyOutputHasEveryPartition) {
  ScratchDir dir;
  WordCountJob job;
  auto collector = NewCollector(&job, Options(dir, 3));
  MapOutputStats stats;
  ASSERT_TRUE(collector->Finish(dir.File("map.out"), &stats).ok());
  EXPECT_EQ(stats.partition_bytes.size(), 3u);
  for (const Pairs& p : ReadMapOutput(dir.File("map.out"), 3)) EXPECT_TRUE(p.empty());
}

TEST(MapOutputTest, SumTurnsDoubleWhenADoubleArrives) {
  ScratchDir dir;
  WordCountJob job;
  auto collector = NewCollector(&job, Options(dir, 1));
  collector->Emit("x", int64_t{2});
  collector->Emit(ValueView::String("x"), ValueView::Double(0.25));
  collector->Emit("y", int64_t{3});
  ASSERT_TRUE(collector->Finish(dir.File("map.out"), nullptr).ok());
  const Pairs out = ReadMapOutput(dir.File("map.out"), 1)[0];
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(ShowEncoded(out[0].second), "d:2.250000");
  EXPECT_EQ(ShowEncoded(out[1].second), "i:3");
}

TEST(MapOutputTest, SumRejectsNonNumericValueAndStops) {
  ScratchDir dir;
  WordCountJob job;
  auto collector = NewCollector(&job, Options(dir, 1));
  collector->Emit("x", int64_t{1});
  collector->Emit(ValueView::String("x"), ValueView::String("oops"));
  collector->Emit("z", int64_t{1});  // ignored after the error
  const Status& s = collector->status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("string"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("\"x\""), std::string::npos) << s.message();
  MapOutputStats stats;
  EXPECT_FALSE(collector->Finish(dir.File("map.out"), &stats).ok());
  EXPECT_EQ(stats.records_emitted, 2u);
  EXPECT_FALSE(Env::Default()->FileExists(dir.File("map.out")));
}

TEST(MapOutputTest, Int32AndInt64KeysAreOneKey) {
  ScratchDir dir;
  WordCountJob job;
  auto collector = NewCollector(&job, Options(dir, 2));
  const int32_t five32 = 5;
  const int64_t five64 = 5;
  const int64_t one = 1;
  collector->Emit(ValueView(Type::kInt32, reinterpret_cast<const char*>(&five32), 4), ValueView::Int64(one));
  collector->Emit(ValueView::Int64(five64), ValueView::Int64(one));
  MapOutputStats stats;
  ASSERT_TRUE(collector->Finish(dir.File("map.out"), &stats).ok());
  EXPECT_EQ(stats.records_out, 1u);
  Pairs all;
  for (const Pairs& p : ReadMapOutput(dir.File("map.out"), 2)) all.insert(all.end(), p.begin(), p.end());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(DecodeValue(all[0].first).type(), Type::kInt64);
  EXPECT_EQ(ShowEncoded(all[0].second), "i:2");
}

// MongoDB's key equality: 3, NumberLong(3), 3.0 and {a: 1} / {a: 1.0} are one key each, in one
// partition whichever number of partitions (the partition hash is of the canonical bytes).
TEST(MapOutputTest, NumericKeysOfEveryTypeAreOneKey) {
  for (uint32_t partitions : {1u, 2u, 7u}) {
    ScratchDir dir;
    WordCountJob job;
    auto collector = NewCollector(&job, Options(dir, partitions));
    const int32_t three32 = 3;
    const int64_t three64 = 3;
    const double three_double = 3.0, minus_zero = -0.0;
    const int64_t zero = 0;
    collector->Emit(ValueView(Type::kInt32, reinterpret_cast<const char*>(&three32), 4), ValueView::Int64(three64));
    collector->Emit(ValueView::Int64(three64), ValueView::Int64(three64));
    collector->Emit(ValueView::Double(three_double), ValueView::Int64(three64));
    collector->Emit(ValueView::Double(minus_zero), ValueView::Int64(three64));
    collector->Emit(ValueView::Int64(zero), ValueView::Int64(three64));
    collector->Emit(DocumentBuilder().Append("a", 1).Finish(), ValueView::Int64(three64));
    collector->Emit(DocumentBuilder().Append("a", 1.0).Finish(), ValueView::Int64(three64));
    MapOutputStats stats;
    ASSERT_TRUE(collector->Finish(dir.File("map.out"), &stats).ok());
    EXPECT_EQ(stats.records_out, 3u) << partitions;
    std::map<std::string, std::string> sums;
    for (const Pairs& p : ReadMapOutput(dir.File("map.out"), partitions)) {
      for (const auto& [k, v] : p) sums[k] = ShowEncoded(v);
    }
    ASSERT_EQ(sums.size(), 3u);
    std::string three_key(9, '\0'), zero_key(9, '\0');
    three_key.resize(EncodeKey(ValueView::Int64(three64), three_key.data()));
    zero_key.resize(EncodeKey(ValueView::Int64(zero), zero_key.data()));
    EXPECT_EQ(sums[three_key], "i:9");
    EXPECT_EQ(sums[zero_key], "i:6");
  }
}

// Sends keys starting with 'a' to partition 0 and the rest to 1; "bad" gets `bad_partition`.
class FirstLetterJob : public WordCountJob {
 public:
  bool has_partitioner() const override { return true; }
  uint32_t Partition(ValueView key, uint32_t n) override {
    if (key.as_string() == "bad") return bad_partition;
    if (key.as_string() == "throw") throw std::runtime_error("no partition for you");
    return key.as_string().starts_with("a") ? 0 : 1 % n;
  }
  uint32_t bad_partition = 0;
};

TEST(MapOutputTest, CustomPartitionerRoutesKeys) {
  ScratchDir dir;
  FirstLetterJob job;
  auto collector = NewCollector(&job, Options(dir, 2));
  MapLines(&job, collector.get(), {"apple bee ant cow apple"});
  ASSERT_TRUE(collector->Finish(dir.File("map.out"), nullptr).ok());
  const std::vector<Pairs> parts = ReadMapOutput(dir.File("map.out"), 2);
  EXPECT_EQ(parts[0], (Pairs{{StrKey("ant"), parts[0][0].second}, {StrKey("apple"), parts[0][1].second}}));
  EXPECT_EQ(ShowEncoded(parts[0][1].second), "i:2");
  ASSERT_EQ(parts[1].size(), 2u);
  EXPECT_EQ(parts[1][0].first, StrKey("bee"));
}

TEST(MapOutputTest, PartitionOutOfRangeIsAnError) {
  ScratchDir dir;
  FirstLetterJob job;
  job.bad_partition = 2;
  auto collector = NewCollector(&job, Options(dir, 2));
  MapLines(&job, collector.get(), {"ok bad"});
  EXPECT_EQ(collector->status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(collector->status().message().find("returned 2"), std::string::npos);
}

TEST(MapOutputTest, ThrowingPartitionerIsAnInternalError) {
  ScratchDir dir;
  FirstLetterJob job;
  auto collector = NewCollector(&job, Options(dir, 2));
  MapLines(&job, collector.get(), {"throw"});
  EXPECT_EQ(collector->status().code(), StatusCode::kInternal);
  EXPECT_NE(collector->status().message().find("plugin threw no partition for you in Partition"), std::string::npos)
      << collector->status().message();
}

TEST(MapOutputTest, ReduceCombinerFoldsAsValuesArrive) {
  ScratchDir dir;
  UnionJob job;
  auto collector = NewCollector(&job, Options(dir, 1));
  collector->Emit("k", UnionJob::Array({"a"}));
  collector->Emit("k", UnionJob::Array({"b"}));
  collector->Emit("j", UnionJob::Array({"x"}));
  collector->Emit("k", UnionJob::Array({"c", "a", "d", "e", "f"}));  // outgrows the stored value
  MapOutputStats stats;
  ASSERT_TRUE(collector->Finish(dir.File("map.out"), &stats).ok());
  EXPECT_EQ(job.reduce_calls, 2);
  EXPECT_EQ(stats.reduce_calls, 2u);  // the engine counts the plugin's calls
  EXPECT_EQ(stats.combine_input_records, 4u);
  EXPECT_EQ(stats.combine_output_records, 2u);
  const Pairs out = ReadMapOutput(dir.File("map.out"), 1)[0];
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(ShowEncoded(out[0].second), "[x]");
  EXPECT_EQ(ShowEncoded(out[1].second), "[a,b,c,d,e,f]");
}

TEST(MapOutputTest, DoublesAreSummedInPlaceUnderSumDoubles) {
  ScratchDir dir;
  DoubleSumJob job;
  auto collector = NewCollector(&job, Options(dir, 1));
  const std::string long_key(40, 'k');  // too long for a slot: folded with Reduce()
  collector->Emit(ValueView::String("x"), ValueView::Double(1.5));
  collector->Emit(ValueView::String("x"), ValueView::Double(2.25));
  collector->Emit(ValueView::String("y"), ValueView::Double(-0.0));  // one value: kept as it is
  collector->Emit(ValueView::String(long_key), ValueView::Double(1.0));
  collector->Emit(ValueView::String(long_key), ValueView::Double(2.0));
  collector->Emit(ValueView::Int64(int64_t{7}), ValueView::Double(0.5));  // a short key of another type
  collector->Emit(ValueView::Double(7.0), ValueView::Double(0.25));      // the same key, 7
  ASSERT_TRUE(collector->Finish(dir.File("map.out"), nullptr).ok());
  EXPECT_EQ(job.reduce_calls, 1);
  std::map<std::string, std::string> got;
  const Pairs out = ReadMapOutput(dir.File("map.out"), 1)[0];
  for (const auto& [key, value] : out) {
    got[ShowEncoded(key)] = ShowEncoded(value);
    if (ShowEncoded(key) == "y") {
      EXPECT_TRUE(std::signbit(DecodeValue(value).as_double()));
    }
  }
  EXPECT_EQ(got, (std::map<std::string, std::string>{
                     {"x", "d:3.750000"}, {"y", "d:-0.000000"}, {long_key, "d:3.000000"}, {"i:7", "d:0.750000"}}));
}

// A key with a value of another type leaves its slot and is reduced from then on, whether the
// other value comes first or later, and whether emits are queued (a large table) or not.
class SumDoublesMixTest : public ::testing::TestWithParam<int> {};

TEST_P(SumDoublesMixTest, AKeyThatGetsAnotherTypeIsReducedFromThenOn) {
  ScratchDir dir;
  DoubleSumJob job;
  auto collector = NewCollector(&job, Options(dir, 2));
  const int fillers = GetParam();  // enough distinct keys to turn the emit queue on
  for (int i = 0; i < fillers; ++i) collector->Emit(ValueView::String("f" + std::to_string(i)), ValueView::Double(1.0));
  auto emit = [&](std::string_view key, ValueView v) { collector->Emit(ValueView::String(key), v); };
  emit("k", ValueView::Double(1.0));
  emit("k", ValueView::Double(2.0));
  emit("k", ValueView::String("s10"));  // 3 + 10
  emit("k", ValueView::Double(4.0));
  emit("m", ValueView::String("s1"));  // the first value is not a double
  emit("m", ValueView::Double(2.0));
  emit("n", ValueView::Int64(int64_t{5}));  // an int64 is not a double either
  emit("n", ValueView::Double(1.0));
  emit("p", ValueView::Int64(int64_t{9}));  // alone: kept, type and all
  for (int i = 0; i < fillers; ++i) collector->Emit(ValueView::String("f" + std::to_string(i)), ValueView::Double(1.0));
  ASSERT_TRUE(collector->Finish(dir.File("map.out"), nullptr).ok());
  std::map<std::string, std::string> got;
  for (const Pairs& partition : ReadMapOutput(dir.File("map.out"), 2)) {
    for (const auto& [key, value] : partition) got[ShowEncoded(key)] = ShowEncoded(value);
  }
  EXPECT_EQ(got.size(), static_cast<size_t>(fillers) + 4);
  EXPECT_EQ(got["k"], "s17");
  EXPECT_EQ(got["m"], "s3");
  EXPECT_EQ(got["n"], "s6");
  EXPECT_EQ(got["p"], "i:9");
  if (fillers > 0) {
    EXPECT_EQ(got["f0"], "d:2.000000");
  }
  EXPECT_EQ(job.reduce_calls, 4);
}

INSTANTIATE_TEST_SUITE_P(TableSizes, SumDoublesMixTest, ::testing::Values(0, 100000));

TEST(MapOutputTest, ThrowingReduceBecomesInternalStatus) {
  ScratchDir dir;
  UnionJob job;
  const std::string bad = "k";
  job.throw_on_key = &bad;
  auto collector = NewCollector(&job, Options(dir, 1));
  collector->Emit("k", UnionJob::Array({"a"}));
  collector->Emit("k", UnionJob::Array({"b"}));
  EXPECT_EQ(collector->status().code(), StatusCode::kInternal);
  EXPECT_EQ(collector->status().message(), "plugin threw boom in Reduce for key \"k\"");
  EXPECT_EQ(collector->Finish(dir.File("map.out"), nullptr).code(), StatusCode::kInternal);
}

TEST(MapOutputTest, NoneCombinerKeepsEveryValueInEmitOrder) {
  ScratchDir dir;
  ListJob job;
  auto collector = NewCollector(&job, Options(dir, 1));
  collector->Emit(ValueView::String("k"), ValueView::String("2"));
  collector->Emit(ValueView::String("j"), ValueView::String("x"));
  collector->Emit(ValueView::String("k"), ValueView::String("1"));
  MapOutputStats stats;
  ASSERT_TRUE(collector->Finish(dir.File("map.out"), &stats).ok());
  EXPECT_EQ(stats.records_out, 2u);
  EXPECT_EQ(stats.output_records, 3u);  // every value is a record
  EXPECT_EQ(stats.map_emits, 3u);
  EXPECT_EQ(stats.combine_input_records, 0u);  // no combiner
  EXPECT_EQ(stats.reduce_calls, 0u);
  const Pairs out = ReadMapOutput(dir.File("map.out"), 1)[0];
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], (std::pair{StrKey("j"), StrKey("x")}));
  EXPECT_EQ(out[1], (std::pair{StrKey("k"), StrKey("2")}));
  EXPECT_EQ(out[2], (std::pair{StrKey("k"), StrKey("1")}));
}

TEST(MapOutputTest, CountersAreSummedAndSorted) {
  ScratchDir dir;
  WordCountJob job;
  auto collector = NewCollector(&job, Options(dir, 1));
  collector->Count("lines", 1);
  collector->Count("bytes", 10);
  collector->Count("lines", 2);
  MapOutputStats stats;
  ASSERT_TRUE(collector->Finish(dir.File("map.out"), &stats).ok());
  EXPECT_EQ(stats.counters, (std::vector<std::pair<std::string, int64_t>>{{"bytes", 10}, {"lines", 3}}));
}

TEST(MapOutputTest, FinishTwiceFails) {
  ScratchDir dir;
  WordCountJob job;
  auto collector = NewCollector(&job, Options(dir, 1));
  ASSERT_TRUE(collector->Finish(dir.File("a"), nullptr).ok());
  EXPECT_EQ(collector->Finish(dir.File("b"), nullptr).code(), StatusCode::kFailedPrecondition);
}

TEST(MapOutputTest, MalformedKeyIsRejected) {
  ScratchDir dir;
  WordCountJob job;
  auto collector = NewCollector(&job, Options(dir, 1));
  const int32_t small = 1;
  collector->Emit(ValueView(Type::kInt64, reinterpret_cast<const char*>(&small), 4), ValueView::Int64(int64_t{1}));
  EXPECT_EQ(collector->status().code(), StatusCode::kInvalidArgument);
}

TEST(MapOutputTest, OverBudgetWithoutSpillDirFails) {
  ScratchDir dir;
  WordCountJob job;
  MapOutputOptions options = Options(dir, 1, 4096);
  options.spill_dir.clear();
  auto collector = NewCollector(&job, options);
  MapLines(&job, collector.get(), Lines(100, 3));
  EXPECT_EQ(collector->status().code(), StatusCode::kResourceExhausted);
}

// The same workload with a roomy and a 4 KiB budget must give byte-identical partitions.
class SpillTest : public ::testing::TestWithParam<Combiner> {
 protected:
  std::unique_ptr<Job> NewJob() const {
    switch (GetParam()) {
      case Combiner::kSum: return std::make_unique<WordCountJob>();
      case Combiner::kReduce: return std::make_unique<UnionJob>();
      case Combiner::kNone: return std::make_unique<ListJob>();
      case Combiner::kSumDoubles: return std::make_unique<DoubleSumJob>();
    }
    return nullptr;
  }

  // Emits a skewed mix of string and integer keys.
  void Emit(MapContext* ctx) const {
    std::mt19937 rng(5);
    for (int i = 0; i < 20000; ++i) {
      const uint32_t rank = static_cast<uint32_t>(std::pow(rng() % 1000 / 1000.0, 2) * 2000);
      const std::string word = "key" + std::to_string(rank);
      const int64_t number = rank;
      const ValueView key = rank % 5 == 0 ? ValueView::Int64(number) : ValueView::String(word);
      switch (GetParam()) {
        case Combiner::kSum: ctx->Emit(key, ValueView::Int64(number)); break;
        case Combiner::kReduce: ctx->Emit(key, UnionJob::Array({std::to_string(i % 7)})); break;
        case Combiner::kNone: ctx->Emit(key, ValueView::String(std::to_string(i))); break;
        case Combiner::kSumDoubles:  // doubles, and a key in 7 gets a string now and then
          if (rank % 7 == 0 && i % 3 == 0) {
            ctx->Emit(key, ValueView::String("s" + std::to_string(rank)));
          } else {
            ctx->Emit(key, ValueView::Double(static_cast<double>(number)));
          }
          break;
      }
    }
  }

  std::vector<Pairs> Run(uint64_t budget, MapOutputStats* stats) {
    auto job = NewJob();
    const MapOutputOptions options = Options(dir_, 3, budget);
    auto collector = NewCollector(job.get(), options);
    Emit(collector.get());
    const std::string path = dir_.File("map.out." + std::to_string(budget));
    Status s = collector->Finish(path, stats);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (auto* u = dynamic_cast<UnionJob*>(job.get())) plugin_reduce_calls_ = static_cast<uint64_t>(u->reduce_calls);
    // No run is left behind; without a spill there is no directory either.
    auto leftovers = Env::Default()->GetChildren(options.spill_dir);
    EXPECT_TRUE(leftovers.ok() ? leftovers->empty() : leftovers.status().code() == StatusCode::kNotFound)
        << leftovers.status().ToString();
    if (stats->spills == 0) {
      EXPECT_FALSE(leftovers.ok());
    }
    return ReadMapOutput(path, 3);
  }

  ScratchDir dir_;
  uint64_t plugin_reduce_calls_ = 0;
};

TEST_P(SpillTest, SpillingGivesTheSameOutput) {
  MapOutputStats in_memory;
  MapOutputStats spilled;
  const std::vector<Pairs> expected = Run(256 << 20, &in_memory);
  const std::vector<Pairs> got = Run(4096, &spilled);
  EXPECT_EQ(in_memory.spills, 0u);
  EXPECT_GT(spilled.spills, 64u);  // enough to need an intermediate merge pass
  EXPECT_EQ(got, expected);
  EXPECT_EQ(spilled.records_out, in_memory.records_out);
  EXPECT_EQ(spilled.records_emitted, 20000u);
  // Counted across spills and merges: the same output, records spilled, folds in the merges too.
  EXPECT_EQ(spilled.output_records, in_memory.output_records);
  EXPECT_EQ(spilled.map_emits, 20000u);
  EXPECT_GT(spilled.spilled_records, 0u);
  EXPECT_GT(spilled.spilled_bytes, 0u);
  EXPECT_EQ(in_memory.spilled_records, 0u);
  if (GetParam() == Combiner::kReduce) {
    EXPECT_EQ(spilled.reduce_calls, plugin_reduce_calls_);
  }
  if (GetParam() == Combiner::kNone) {
    EXPECT_EQ(spilled.spilled_records, 20000u);
  }
}

INSTANTIATE_TEST_SUITE_P(Combiners, SpillTest,
                         ::testing::Values(Combiner::kSum, Combiner::kReduce, Combiner::kNone, Combiner::kSumDoubles),
                         [](const auto& info) {
                           switch (info.param) {
                             case Combiner::kSum: return "Sum";
                             case Combiner::kReduce: return "Reduce";
                             case Combiner::kNone: return "None";
                             case Combiner::kSumDoubles: return "SumDoubles";
                           }
                           return "Unknown";
                         });

// Word count's contexts (ContextForNextRecord) must fold exactly as Collector::Emit() does,
// pair for pair: the same bytes out, whatever mix of new keys, overflows into doubles, double
// values, long keys, keys outside the readable range, growth past the prefetch queue's
// threshold and spills a record brings.
class WordCountContextsTest : public ::testing::TestWithParam<uint64_t> {
 protected:
  struct Pair {
    std::string_view key;
    int64_t count;       // when !as_double
    bool as_double;      // a double 0.5 instead: the sum turns double
    bool as_views;       // Emit(ValueView, ValueView) rather than Emit(word, n)
  };

  // 250K words of 1-20 letters in one buffer (the readable range), drawn skewed so
  // that some repeat often; a few counts are huge, so their sums overflow into doubles.
  void SetUp() override {
    std::mt19937 rng(11);
    std::vector<std::pair<size_t, size_t>> words;  // offset, length in text_
    for (int t = 0; t < kTraps; ++t) text_ += fmt::format("T{:04x} ", t);  // the traps' keys, below
    for (int i = 0; i < 250000; ++i) {
      const size_t n = 1 + rng() % 20;
      words.emplace_back(text_.size(), n);
      for (size_t j = 0; j < n; ++j) text_ += static_cast<char>('a' + rng() % 26);
      text_ += ' ';
    }
    outside_ = {"outside", "alsooutsidetherange"};
    // Traps for a fold out of order. Each of its own key, counted once first so that it is in
    // the table: then +2^62, +2^62 the general way (as views, or from a copy outside the
    // readable range), -2^62, in a row. In order, the second overflows and the sum stays a
    // double; folded before it, the third keeps an int64.
    std::vector<std::string_view> trap_keys;
    for (int t = 0; t < kTraps; ++t) {
      trap_keys.push_back(std::string_view(text_).substr(6 * t, 5));
      pairs_.push_back(Pair{trap_keys.back(), 1, false, false});
    }
    trap_copies_.reserve(trap_keys.size());
    int next_trap = 0;
    for (int i = 0; i < 400000; ++i) {
      if (i % 20 == 10 && next_trap < static_cast<int>(trap_keys.size())) {
        const std::string_view key = trap_keys[next_trap];
        const bool as_views = next_trap++ % 2 == 0;
        trap_copies_.emplace_back(key);
        const int64_t h = int64_t{1} << 62;
        pairs_.push_back(Pair{key, h, false, false});
        pairs_.push_back(Pair{as_views ? key : std::string_view(trap_copies_.back()), h, false, as_views});
        pairs_.push_back(Pair{key, -h, false, false});
        continue;
      }
      const auto& [at, n] = words[static_cast<size_t>(std::pow(rng() % 100000 / 100000.0, 1.2) * words.size())];
      Pair p{std::string_view(text_).substr(at, n), 1, false, false};
      const uint32_t r = rng() % 1000;
      if (r == 0) p.count = std::numeric_limits<int64_t>::max() / 3;
      if (r == 1) p.as_double = true;
      if (r == 2) p.as_views = true;
      if (r == 3) p.key = outside_[rng() % 2];
      if (r == 4) p.count = -7;
      pairs_.push_back(p);
    }
  }

  static void EmitOne(MapContext& ctx, const Pair& p) {
    if (p.as_double) return ctx.Emit(ValueView::String(p.key), ValueView::Double(0.5));
    if (p.as_views) return ctx.Emit(ValueView::String(p.key), ValueView::Int64(p.count));
    ctx.Emit(p.key, p.count);
  }

  std::string Run(bool through_contexts, MapOutputStats* stats) {
    WordCountJob job;
    auto collector = NewCollector(&job, Options(dir_, 3, GetParam()));
    collector->SetReadableRange(text_.data(), text_.data() + text_.size());
    std::mt19937 rng(3);
    for (size_t i = 0; i < pairs_.size();) {
      const size_t record_end = std::min(pairs_.size(), i + 1 + rng() % 3000);
      MapContext& ctx = through_contexts ? collector->ContextForNextRecord() : *collector;
      for (; i < record_end; ++i) {
        if (through_contexts) {
          EmitOne(ctx, pairs_[i]);
        } else {  // the pair as views, into the collector itself, as Collector::Emit() took every pair
          const Pair& p = pairs_[i];
          ctx.Emit(ValueView::String(p.key), p.as_double ? ValueView::Double(0.5) : ValueView::Int64(p.count));
        }
      }
    }
    EXPECT_EQ(collector->emitted(), pairs_.size());
    const std::string path = dir_.File(std::string("map.out.") + (through_contexts ? "contexts" : "collector"));
    Status s = collector->Finish(path, stats);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::string bytes;
    EXPECT_TRUE(ReadFileToString(Env::Default(), path, &bytes).ok());
    return bytes;
  }

  static constexpr int kTraps = 20000;
  ScratchDir dir_;
  std::string text_;
  std::vector<std::string> outside_;
  std::vector<std::string> trap_copies_;
  std::vector<Pair> pairs_;
};

TEST_P(WordCountContextsTest, FoldExactlyAsTheCollectorDoes) {
  MapOutputStats direct, contexts;
  const std::string expected = Run(false, &direct);
  const std::string got = Run(true, &contexts);
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
  EXPECT_EQ(contexts.records_out, direct.records_out);
  EXPECT_EQ(contexts.spills, direct.spills);
  EXPECT_EQ(contexts.map_emits, pairs_.size());
  if (GetParam() < (16 << 20)) {
    EXPECT_GT(direct.spills, 0u);
  }
}

// A roomy budget (the table grows past the queue's threshold), a tight one (it spills while
// small) and one between (it spills after it has grown past the threshold).
INSTANTIATE_TEST_SUITE_P(Budgets, WordCountContextsTest,
                         ::testing::Values(uint64_t{256} << 20, uint64_t{3} << 20, uint64_t{10} << 20));

TEST(MapOutputTest, OtherCombinersGetTheCollectorAsContext) {
  ScratchDir dir;
  UnionJob job;
  auto collector = NewCollector(&job, Options(dir, 1));
  EXPECT_EQ(&collector->ContextForNextRecord(), static_cast<MapContext*>(collector.get()));
}

// Fails creating or appending to files whose path starts with `prefix`.
class FailingEnv : public EnvWrapper {
 public:
  explicit FailingEnv(std::string prefix) : EnvWrapper(Env::Default()), prefix_(std::move(prefix)) {}

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    if (!path.starts_with(prefix_)) return EnvWrapper::NewWritableFile(path);
    if (fail_create) return IOError("injected: cannot create " + path);
    ASSIGN_OR_RETURN(auto file, EnvWrapper::NewWritableFile(path));
    return std::unique_ptr<WritableFile>(new FailingFile(std::move(file)));
  }

  bool fail_create = true;

 private:
  class FailingFile : public WritableFile {
   public:
    explicit FailingFile(std::unique_ptr<WritableFile> base) : base_(std::move(base)) {}
    Status Append(std::string_view) override { return IOError("injected: no space left"); }
    Status Flush(bool sync) override { return base_->Flush(sync); }
    Status Close() override { return base_->Close(); }

   private:
    std::unique_ptr<WritableFile> base_;
  };

  const std::string prefix_;
};

class FailingSpillTest : public ::testing::TestWithParam<bool> {};

TEST_P(FailingSpillTest, SpillFailureIsACleanError) {
  ScratchDir dir;
  FailingEnv env(dir.File("spill"));
  env.fail_create = GetParam();
  WordCountJob job;
  auto collector = NewCollector(&job, Options(dir, 2, 4096), &env);
  MapLines(&job, collector.get(), Lines(500, 4));
  const Status s = collector->status();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("injected"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("spilling"), std::string::npos) << s.ToString();
  EXPECT_EQ(collector->Finish(dir.File("map.out"), nullptr).ToString(), s.ToString());
  EXPECT_FALSE(Env::Default()->FileExists(dir.File("map.out")));
  EXPECT_TRUE(Env::Default()->GetChildren(dir.File("spill"))->empty());
}

INSTANTIATE_TEST_SUITE_P(CreateOrAppend, FailingSpillTest, ::testing::Bool());

TEST(MapOutputTest, FailingOutputLeavesNoFile) {
  ScratchDir dir;
  FailingEnv env(dir.File("map.out"));
  WordCountJob job;
  auto collector = NewCollector(&job, Options(dir, 2), &env);
  MapLines(&job, collector.get(), {"a b c"});
  EXPECT_FALSE(collector->Finish(dir.File("map.out"), nullptr).ok());
  EXPECT_FALSE(Env::Default()->FileExists(dir.File("map.out")));
  EXPECT_FALSE(Env::Default()->FileExists(dir.File("map.out.tmp")));
}

}  // namespace
}  // namespace aviary::shuffle
