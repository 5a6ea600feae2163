// Helpers shared by the shuffle tests: a scratch directory, fake jobs and output, and readers
// that turn map output files back into plain pairs.
#ifndef AVIARY_SHUFFLE_TEST_UTIL_H_
#define AVIARY_SHUFFLE_TEST_UTIL_H_

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "aviary/job.h"
#include "common/env.h"
#include "gtest/gtest.h"
#include "shuffle/key.h"
#include "shuffle/map_output.h"
#include "shuffle/segment_reader.h"
#include "storage/output.h"

namespace aviary::shuffle::testing {

// A fresh directory under /tmp, removed with everything in it at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "aviary_shuffle_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
                       (info ? info->name() : "test");
    std::replace(name.begin(), name.end(), '/', '_');  // parameterised test names have slashes
    path_ = "/tmp/" + name;
    EXPECT_TRUE(Env::Default()->CreateDirs(path_).ok());
  }
  ~ScratchDir() { (void)Env::Default()->DeleteRecursively(path_); }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A readable form of a value: strings as is, numbers as "i:5" / "d:2.5", arrays as "[a,b]".
inline std::string Show(ValueView v) {
  switch (v.type()) {
    case Type::kString: return std::string(v.as_string());
    case Type::kInt32:
    case Type::kInt64: return "i:" + std::to_string(v.as_int());
    case Type::kDouble: return "d:" + std::to_string(v.as_double());
    case Type::kArray: {
      std::string s = "[";
      for (const auto& f : v.as_document()) s += (s.size() > 1 ? "," : "") + Show(f.value);
      return s + "]";
    }
    default: return std::string("<") + TypeName(v.type()) + ">";
  }
}

inline std::string ShowEncoded(std::string_view encoded) { return Show(DecodeValue(encoded)); }

// Collects what RunReduce() writes, in order.
class FakeOutput : public OutputWriter {
 public:
  Status Write(ValueView key, ValueView value) override {
    if (fail_writes) return Internal("disk full");
    rows.emplace_back(Show(key), Show(value));
    return Status::OK();
  }
  Status Close() override { return Status::OK(); }
  std::string location() const override { return "fake"; }

  std::map<std::string, std::string> AsMap() const { return {rows.begin(), rows.end()}; }

  std::vector<std::pair<std::string, std::string>> rows;
  bool fail_writes = false;
};

// Splits the line on spaces and emits (word, 1); kSum, so Reduce() must never run.
class WordCountJob : public Job {
 public:
  void Map(const Record& record, MapContext& ctx) override {
    std::string_view text = record.text();
    while (!text.empty()) {
      const size_t space = text.find(' ');
      const std::string_view word = text.substr(0, space);
      if (!word.empty()) ctx.Emit(word, int64_t{1});
      if (space == std::string_view::npos) break;
      text.remove_prefix(space + 1);
    }
  }
  Value Reduce(ValueView, const Values&) override { throw std::logic_error("Reduce called under kSum"); }
  Combiner combiner() const override { return Combiner::kSum; }
};

// kSumDoubles: doubles add up as a + b; with any other value in the mix, Reduce() returns the
// string "s<total>", counting a string "s<n>" as n (so it folds its own output).
class DoubleSumJob : public Job {
 public:
  void Map(const Record&, MapContext&) override {}
  Value Reduce(ValueView, const Values& values) override {
    ++reduce_calls;
    double total = 0;
    bool mixed = false;
    for (size_t i = 0; i < values.size(); ++i) {
      const ValueView v = values[i];
      if (v.type() == Type::kDouble) {
        total = i == 0 ? v.as_double() : total + v.as_double();
      } else {
        mixed = true;
        total += v.is_string() ? std::stod(std::string(v.as_string().substr(1))) : static_cast<double>(v.as_int());
      }
    }
    if (!mixed) return Value::Double(total);
    return Value::String("s" + std::to_string(static_cast<int64_t>(total)));
  }
  Combiner combiner() const override { return Combiner::kSumDoubles; }

  int reduce_calls = 0;
};

// Values are string arrays; Reduce() returns the sorted union (kReduce).
class UnionJob : public Job {
 public:
  void Map(const Record&, MapContext&) override {}
  Value Reduce(ValueView key, const Values& values) override {
    ++reduce_calls;
    if (throw_on_key && key.as_string() == *throw_on_key) throw std::runtime_error("boom");
    std::set<std::string> all;
    for (ValueView v : values) {
      for (const auto& f : v.as_document()) all.emplace(f.value.as_string());
    }
    ArrayBuilder out;
    for (const std::string& s : all) out.Push(ValueView::String(s));
    return out.Finish();
  }
  bool has_finalize() const override { return finalize; }
  Value Finalize(ValueView key, ValueView reduced) override {
    if (throw_in_finalize) throw std::runtime_error("bad finalize");
    int64_t n = 0;
    for (const auto& field : reduced.as_document()) n += field.name.empty() ? 0 : 1;
    return Value::Int64(n);
  }

  static Value Array(std::initializer_list<std::string_view> items) {
    ArrayBuilder b;
    for (std::string_view s : items) b.Push(ValueView::String(s));
    return b.Finish();
  }

  int reduce_calls = 0;
  const std::string* throw_on_key = nullptr;
  bool finalize = false;
  bool throw_in_finalize = false;
};

// kNone: every value travels to the reduce side, which joins the sorted strings with ",".
class ListJob : public Job {
 public:
  void Map(const Record&, MapContext&) override {}
  Value Reduce(ValueView, const Values& values) override {
    std::vector<std::string> all;
    for (ValueView v : values) all.emplace_back(v.as_string());
    std::sort(all.begin(), all.end());
    std::string joined;
    for (const std::string& s : all) joined += (joined.empty() ? "" : ",") + s;
    return Value::String(joined);
  }
  Combiner combiner() const override { return Combiner::kNone; }
};

// Runs a job's Map() over lines of text.
inline void MapLines(Job* job, MapContext* ctx, const std::vector<std::string>& lines) {
  const RecordSource source;
  for (const std::string& line : lines) job->Map(Record(line, nullptr, source), *ctx);
}
// As the map loop calls it: each record gets the collector's context of the moment.
inline void MapLines(Job* job, MapOutputCollector* collector, const std::vector<std::string>& lines) {
  const RecordSource source;
  for (const std::string& line : lines) job->Map(Record(line, nullptr, source), collector->ContextForNextRecord());
}

// Copies partition `partition` of the map output `map_file` into its own file `out`.
inline void ExtractSegment(const std::string& map_file, uint32_t partition, const std::string& out) {
  auto range = LocatePartition(Env::Default(), map_file, partition);
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  std::string contents;
  ASSERT_TRUE(ReadFileToString(Env::Default(), map_file, &contents).ok());
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), out, contents.substr(range->offset, range->length)).ok());
}

using Pairs = std::vector<std::pair<std::string, std::string>>;  // encoded key, encoded value

// Reads the one segment held by the file at `path`.
inline Status ReadSegmentFile(const std::string& path, Pairs* pairs) {
  ASSIGN_OR_RETURN(auto file, Env::Default()->NewSequentialFile(path));
  SegmentReader reader(std::move(file), path);
  RETURN_IF_ERROR(reader.StartSegment());
  while (reader.Valid()) {
    pairs->emplace_back(reader.key(), reader.value());
    RETURN_IF_ERROR(reader.Next());
  }
  return reader.ExpectEndOfFile();
}

// Every partition of a map output file, as encoded pairs.
inline std::vector<Pairs> ReadMapOutput(const std::string& map_file, uint32_t num_partitions) {
  std::vector<Pairs> partitions(num_partitions);
  for (uint32_t p = 0; p < num_partitions; ++p) {
    const std::string segment = map_file + ".seg" + std::to_string(p);
    ExtractSegment(map_file, p, segment);
    Status s = ReadSegmentFile(segment, &partitions[p]);
    EXPECT_TRUE(s.ok()) << s.ToString();
    (void)Env::Default()->DeleteFile(segment);
  }
  return partitions;
}

// The encoded key of a string.
inline std::string StrKey(std::string_view s) { return std::string(1, static_cast<char>(Type::kString)) + std::string(s); }

}  // namespace aviary::shuffle::testing

#endif  // AVIARY_SHUFFLE_TEST_UTIL_H_
