// The example jobs, loaded through the plugin loader exactly as the engine loads them.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "plugin/plugin.h"

namespace aviary {
namespace {

struct Emitted {
  Value key;
  Value value;
};

class Collector : public MapContext {
 public:
  void Emit(ValueView key, ValueView value) override { emitted.push_back({Value(key), Value(value)}); }
  void Count(std::string_view name, int64_t delta) override { counters[std::string(name)] += delta; }
  std::vector<Emitted> emitted;
  std::map<std::string, int64_t> counters;
};

class MapParams : public Params {
 public:
  std::string_view Get(std::string_view name, std::string_view fallback) const override {
    auto it = values.find(std::string(name));
    return it == values.end() ? fallback : std::string_view(it->second);
  }
  std::map<std::string, std::string> values;
};

std::vector<std::string> Strings(ValueView array) {
  std::vector<std::string> out;
  for (const auto& e : array.as_document()) out.emplace_back(e.value.as_string());
  return out;
}

class ExamplesTest : public ::testing::Test {
 protected:
  JobPtr Load(const char* path) {
    StatusOr<std::unique_ptr<Plugin>> plugin = Plugin::Open(path);
    EXPECT_TRUE(plugin.ok()) << plugin.status().ToString();
    plugin_ = std::move(*plugin);
    StatusOr<JobPtr> job = plugin_->NewJob();
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return std::move(*job);
  }
  std::unique_ptr<Plugin> plugin_;  // outlives the jobs below, declared first
};

TEST_F(ExamplesTest, WordCount) {
  JobPtr job = Load(WORDCOUNT_SO);
  Collector ctx;
  RecordSource source;
  job->Map(Record("  Café, 42 x-ray;X\tend", nullptr, source), ctx);
  std::vector<std::string> words;
  for (const Emitted& e : ctx.emitted) {
    words.emplace_back(e.key.view().as_string());
    EXPECT_EQ(e.value.view().as_int(), 1);
  }
  EXPECT_EQ(words, (std::vector<std::string>{"Caf", "x", "ray", "X", "end"}));
  const Value five = Value::Int64(5);
  const int32_t three = 3;
  const std::vector<ValueView> counts = {five, ValueView(Type::kInt32, reinterpret_cast<const char*>(&three), 4)};
  EXPECT_EQ(job->Reduce(ValueView::String("w"), Values(counts)).view().as_int(), 8);
}

TEST_F(ExamplesTest, IndexerEmitsEachWordOncePerRecord) {
  JobPtr job = Load(INDEXER_SO);
  Collector ctx;
  RecordSource source;
  source.file = "docs/a.txt";
  job->Map(Record("to be or not to be", nullptr, source), ctx);
  std::vector<std::string> words;
  for (const Emitted& e : ctx.emitted) {
    words.emplace_back(e.key.view().as_string());
    EXPECT_EQ(Strings(e.value), (std::vector<std::string>{"docs/a.txt"}));
  }
  EXPECT_EQ(words, (std::vector<std::string>{"be", "not", "or", "to"}));

  RecordSource mongo;
  mongo.collection = "db.articles";
  Collector ctx2;
  job->Map(Record("hello", nullptr, mongo), ctx2);
  ASSERT_EQ(ctx2.emitted.size(), 1u);
  EXPECT_EQ(Strings(ctx2.emitted[0].value), (std::vector<std::string>{"db.articles"}));
}

TEST_F(ExamplesTest, IndexerReduceIsASortedUnionAndCanBeReReduced) {
  JobPtr job = Load(INDEXER_SO);
  auto list = [](std::initializer_list<std::string_view> names) {
    ArrayBuilder b;
    for (std::string_view n : names) b.Push(ValueView::String(n));
    return b.Finish();
  };
  const Value a = list({"c.txt"}), b = list({"a.txt", "c.txt"}), c = list({"b.txt"});
  const std::vector<ValueView> first = {a.view(), b.view()};
  const Value partial = job->Reduce(ValueView::String("w"), Values(first));
  EXPECT_EQ(Strings(partial), (std::vector<std::string>{"a.txt", "c.txt"}));
  const std::vector<ValueView> again = {c.view(), partial.view()};
  EXPECT_EQ(Strings(job->Reduce(ValueView::String("w"), Values(again))),
            (std::vector<std::string>{"a.txt", "b.txt", "c.txt"}));
}

TEST_F(ExamplesTest, AverageOfDocumentsAndLines) {
  JobPtr job = Load(AVERAGE_SO);
  MapParams params;
  params.values = {{"key", "city"}, {"value", "temp.c"}};
  std::string error;
  ASSERT_TRUE(job->Setup(params, &error)) << error;

  Collector ctx;
  RecordSource source;
  const Value temp = DocumentBuilder().Append("c", 20.0).Finish();
  const Value doc = DocumentBuilder().Append("city", std::string_view("Oslo")).Append("temp", temp).Finish();
  const DocumentView view = doc.view().as_document();
  job->Map(Record("", &view, source), ctx);
  job->Map(Record("Oslo 10", nullptr, source), ctx);
  job->Map(Record("Oslo 3.5", nullptr, source), ctx);
  job->Map(Record("no number here", nullptr, source), ctx);
  EXPECT_EQ(ctx.counters["records without a key and a number"], 1);
  ASSERT_EQ(ctx.emitted.size(), 3u);

  const std::vector<ValueView> first = {ctx.emitted[0].value, ctx.emitted[1].value};
  const Value partial = job->Reduce(ValueView::String("Oslo"), Values(first));
  const std::vector<ValueView> again = {partial.view(), ctx.emitted[2].value};
  const Value reduced = job->Reduce(ValueView::String("Oslo"), Values(again));
  ASSERT_TRUE(job->has_finalize());
  EXPECT_DOUBLE_EQ(job->Finalize(ValueView::String("Oslo"), reduced).view().as_double(), 33.5 / 3);
  // A key with one value is never reduced; finalize still sees the emitted shape.
  EXPECT_DOUBLE_EQ(job->Finalize(ValueView::String("Oslo"), ctx.emitted[1].value).view().as_double(), 10.0);
}

TEST_F(ExamplesTest, AverageRejectsEmptyParams) {
  JobPtr job = Load(AVERAGE_SO);
  MapParams params;
  params.values = {{"key", ""}};
  std::string error;
  EXPECT_FALSE(job->Setup(params, &error));
  EXPECT_NE(error.find("must not be empty"), std::string::npos);
}

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// docs/plugin-api.md shows average.cc in full; this keeps the two from drifting apart.
TEST(PluginDocTest, QuotesTheAverageExampleExactly) {
  const std::string doc = ReadFile(PLUGIN_DOC);
  const std::string begin = "<!-- BEGIN examples/average/average.cc -->\n```cpp\n";
  const std::string end = "```\n<!-- END examples/average/average.cc -->";
  const size_t from = doc.find(begin);
  const size_t to = doc.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  EXPECT_EQ(doc.substr(from + begin.size(), to - from - begin.size()), ReadFile(AVERAGE_CC));
}

}  // namespace
}  // namespace aviary
