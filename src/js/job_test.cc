// The javascript job through the plugin API, loaded from lib/aviary/javascript.so as the engine
// loads it: MongoDB's semantics (this, emit, reduce and re-reduce, finalize, scope) and the
// failures (throw, syntax error, infinite loop, unbounded allocation), after each of which the
// process goes on running jobs.
#include <bson/bson.h>
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "aviary/aviary.h"
#include "plugin/plugin.h"

namespace aviary {
namespace {

class MapParams : public Params {
 public:
  explicit MapParams(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  std::string_view Get(std::string_view name, std::string_view fallback) const override {
    auto it = values_.find(std::string(name));
    return it == values_.end() ? fallback : std::string_view(it->second);
  }

 private:
  std::map<std::string, std::string> values_;
};

std::string ToBson(const std::string& json) {
  bson_t b;
  bson_error_t err;
  EXPECT_TRUE(bson_init_from_json(&b, json.c_str(), -1, &err)) << err.message;
  std::string out(reinterpret_cast<const char*>(bson_get_data(&b)), b.len);
  bson_destroy(&b);
  return out;
}

// A value as relaxed Extended JSON (wrapped in a one-field document), for comparisons.
std::string Json(ValueView v) {
  const Value doc = DocumentBuilder().Append("v", v).Finish();
  const ValueView d = doc.view();
  bson_t b;
  bson_init_static(&b, reinterpret_cast<const uint8_t*>(d.data()), d.size());
  char* json = bson_as_relaxed_extended_json(&b, nullptr);
  std::string s(json);
  bson_free(json);
  return s.substr(8, s.size() - 10);  // strip { "v" : ... }
}

// What the engine does with one map task's output under Combiner::kReduce: fold each new value
// into the key's accumulator with Reduce({accumulated, new}).
class FoldingContext : public MapContext {
 public:
  explicit FoldingContext(Job* job) : job_(job) {}
  void Emit(ValueView key, ValueView value) override {
    ++emits_;
    const std::string k = Json(key);
    auto it = acc_.find(k);
    if (it == acc_.end()) {
      keys_.emplace(k, Value(key));
      acc_.emplace(k, Value(value));
      return;
    }
    std::vector<ValueView> pair = {it->second.view(), value};
    try {
      it->second = job_->Reduce(key, Values(pair));
    } catch (const std::exception& e) {  // the engine's collector catches, as here
      error_ = e.what();
    }
  }
  void Count(std::string_view, int64_t) override {}

  std::map<std::string, Value> acc_;
  std::map<std::string, Value> keys_;
  std::string error_;
  int emits_ = 0;

 private:
  Job* job_;
};

class JobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto plugin = Plugin::Open(JAVASCRIPT_SO);
    ASSERT_TRUE(plugin.ok()) << plugin.status().message();
    plugin_ = std::move(*plugin);
  }

  JobPtr NewJob(std::map<std::string, std::string> params, std::string* error = nullptr) {
    auto job = plugin_->NewJob();
    EXPECT_TRUE(job.ok());
    std::string why;
    if (!(*job)->Setup(MapParams(std::move(params)), &why)) {
      if (error) *error = why;
      return nullptr;
    }
    return std::move(*job);
  }

  // Runs the documents through map tasks of `per_task` documents each, then the reduce side:
  // Reduce across the tasks' accumulators (skipped for one), then Finalize. Returns key -> JSON.
  std::map<std::string, std::string> Run(Job* job, const std::vector<std::string>& docs, size_t per_task = 1000) {
    std::map<std::string, std::vector<Value>> partials;
    std::map<std::string, Value> keys;
    for (size_t start = 0; start < docs.size(); start += per_task) {
      FoldingContext ctx(job);
      for (size_t i = start; i < std::min(docs.size(), start + per_task); ++i) {
        const std::string bson = ToBson(docs[i]);
        const DocumentView doc(bson.data(), bson.size());
        job->Map(Record("", &doc, source_), ctx);
      }
      EXPECT_EQ(ctx.error_, "");
      for (auto& [k, v] : ctx.acc_) partials[k].push_back(std::move(v));
      for (auto& [k, v] : ctx.keys_) keys.emplace(k, std::move(v));
    }
    std::map<std::string, std::string> out;
    for (auto& [k, values] : partials) {
      Value reduced;
      if (values.size() == 1) {
        reduced = std::move(values[0]);
      } else {
        std::vector<ValueView> views(values.begin(), values.end());
        reduced = job->Reduce(keys[k].view(), Values(views));
      }
      out[k] = Json(job->Finalize(keys[k].view(), reduced.view()));
    }
    return out;
  }

  std::unique_ptr<Plugin> plugin_;
  RecordSource source_;
};

std::vector<std::string> Orders() {
  std::vector<std::string> docs;
  for (int i = 0; i < 500; ++i) {
    docs.push_back("{\"_id\": " + std::to_string(i) + ", \"cust_id\": \"c" + std::to_string(i % 7) +
                   "\", \"amount\": " + std::to_string(i % 13) + ", \"items\": [{\"sku\": \"s" +
                   std::to_string(i % 3) + "\", \"qty\": " + std::to_string(i % 5 + 1) + "}]}");
  }
  return docs;
}

TEST_F(JobTest, OrdersPerCustomerAcrossMapTasks) {
  JobPtr job = NewJob({{"map", "function () { emit(this.cust_id, this.amount); }"},
                       {"reduce", "function (key, values) { return Array.sum(values); }"}});
  ASSERT_TRUE(job);
  std::map<std::string, double> expected;
  for (int i = 0; i < 500; ++i) expected["\"c" + std::to_string(i % 7) + "\""] += i % 13;
  for (size_t per_task : {size_t{1000}, size_t{37}}) {
    const auto out = Run(job.get(), Orders(), per_task);
    ASSERT_EQ(out.size(), expected.size());
    for (const auto& [k, v] : expected) EXPECT_EQ(out.at(k), std::to_string(static_cast<int>(v)) + ".0") << k;
  }
}

TEST_F(JobTest, AverageQuantityPerItemWithFinalize) {
  JobPtr job = NewJob({
      {"map", R"(function () {
         for (var i = 0; i < this.items.length; i++) {
           emit(this.items[i].sku, { count: 1, qty: this.items[i].qty });
         }
       })"},
      {"reduce", R"(function (key, values) {
         var r = { count: 0, qty: 0 };
         values.forEach(function (v) { r.count += v.count; r.qty += v.qty; });
         return r;
       })"},
      {"finalize", "function (key, v) { v.avg = v.qty / v.count; return v; }"},
  });
  ASSERT_TRUE(job);
  std::map<std::string, std::pair<double, double>> sums;
  for (int i = 0; i < 500; ++i) {
    auto& s = sums["\"s" + std::to_string(i % 3) + "\""];
    s.first += 1;
    s.second += i % 5 + 1;
  }
  const auto out = Run(job.get(), Orders(), 60);
  for (const auto& [k, s] : sums) {
    const Value want = DocumentBuilder().Append("count", s.first).Append("qty", s.second).Append("avg", s.second / s.first).Finish();
    EXPECT_EQ(out.at(k), Json(want)) << k;
  }
}

TEST_F(JobTest, ReduceIsNeverCalledForASingleValueAndSeesItsOwnOutput) {
  JobPtr job = NewJob({
      {"map", "function () { emit(this._id % 50, 1); if (this._id === 0) emit('alone', 1); }"},
      {"reduce", R"(function (key, values) {
         if (values.length < 2) throw new Error('reduce called with ' + values.length + ' value(s)');
         return Array.sum(values);
       })"},
  });
  ASSERT_TRUE(job);
  std::vector<std::string> docs;
  for (int i = 0; i < 1000; ++i) docs.push_back("{\"_id\": " + std::to_string(i) + "}");
  const auto out = Run(job.get(), docs, 300);
  EXPECT_EQ(out.at("\"alone\""), "1.0");
  for (int k = 0; k < 50; ++k) EXPECT_EQ(out.at(std::to_string(k) + ".0"), "20.0");
}

TEST_F(JobTest, ReduceSingleCallsReduceForAKeyWithOneValueAsMongoDB44Does) {
  const std::map<std::string, std::string> params = {
      {"map", "function () { emit(this._id === 0 ? 'alone' : 'many', 1); }"},
      {"reduce", "function (key, values) { return {calls: 1, n: values.length}; }"}};
  std::vector<std::string> docs = {"{\"_id\": 0}", "{\"_id\": 1}", "{\"_id\": 2}"};
  JobPtr plain = NewJob(params);
  ASSERT_TRUE(plain);
  EXPECT_EQ(Run(plain.get(), docs).at("\"alone\""), "1.0");
  plain.reset();  // one JavaScript job (one SpiderMonkey context) at a time on a thread
  auto with_flag = params;
  with_flag.emplace("reduce_single", "true");
  std::string why;
  JobPtr single = NewJob(with_flag, &why);
  ASSERT_TRUE(single) << why;
  const auto out = Run(single.get(), docs);
  EXPECT_EQ(out.at("\"alone\""), "{ \"calls\" : 1.0, \"n\" : 1.0 }");
  EXPECT_EQ(out.at("\"many\""), "{ \"calls\" : 1.0, \"n\" : 2.0 }");
  single.reset();
  std::string error;
  with_flag["reduce_single"] = "yes";
  EXPECT_FALSE(NewJob(with_flag, &error));
  EXPECT_NE(error.find("--param reduce_single must be true or false"), std::string::npos) << error;
}

// A pure-sum reduce is run natively for numbers only; other values still go to the function,
// so the results are the function's: strings concatenate, NumberLongs add up to a number, and a
// single value keeps its type.
TEST_F(JobTest, ASumReduceGivesWhatTheFunctionGivesForEveryType) {
  for (const char* reduce : {"function (k, v) { return Array.sum(v); }",
                             "function (k, v) { var s = 0; for (var i = 0; i < v.length; i++) s += v[i]; return s; }"}) {
    JobPtr job = NewJob({{"map", R"(function () {
                             if (this.t === 'num') emit('num', this.n);
                             if (this.t === 'long') emit('long', NumberLong(this.n));
                             if (this.t === 'one') emit('one', NumberLong(this.n));
                             if (this.t === 'str') emit('str', 'x');
                           })"},
                         {"reduce", reduce}});
    ASSERT_TRUE(job);
    std::vector<std::string> docs;
    for (int i = 0; i < 100; ++i) {
      docs.push_back("{\"t\": \"num\", \"n\": " + std::to_string(i) + ".5}");
      docs.push_back("{\"t\": \"long\", \"n\": 2}");
      docs.push_back("{\"t\": \"str\"}");
    }
    docs.push_back(R"({"t": "one", "n": 7})");
    const auto out = Run(job.get(), docs, 30);
    EXPECT_EQ(out.at("\"num\""), "5000.0") << reduce;
    EXPECT_EQ(out.at("\"long\""), "200.0") << reduce;
    EXPECT_EQ(out.at("\"one\""), "7") << reduce;  // NumberLong(7): reduce is not called for it
    const std::string& str = out.at("\"str\"");
    EXPECT_EQ(str.size(), 2u + (std::string(reduce).find("s = 0") != std::string::npos ? 101 : 100)) << str;
  }
}

TEST_F(JobTest, ScopeVariablesAreGlobals) {
  JobPtr job = NewJob({{"map", "function () { emit(prefix + this.k, this.n * factor); }"},
                       {"reduce", "function (key, values) { return Array.sum(values); }"},
                       {"scope", R"({"prefix": "k-", "factor": 10, "since": {"$date": "2020-01-01T00:00:00Z"}})"}});
  ASSERT_TRUE(job);
  const auto out = Run(job.get(), {"{\"k\": \"a\", \"n\": 1}", "{\"k\": \"a\", \"n\": 2}", "{\"k\": \"b\", \"n\": 5}"});
  EXPECT_EQ(out.at("\"k-a\""), "30.0");
  EXPECT_EQ(out.at("\"k-b\""), "50.0");
}

TEST_F(JobTest, TypesSurviveEmitAndReduce) {
  JobPtr job = NewJob({{"map", "function () { emit(this._id, {n: NumberLong(this.n), i: NumberInt(3), d: this.d}); }"},
                       {"reduce", "function (key, values) { return values[0]; }"}});
  ASSERT_TRUE(job);
  const auto out = Run(job.get(), {R"({"_id": {"$oid": "5f2b5a0e8d1c2a3b4c5d6e7f"}, "n": 5, "d": {"$date": "2020-01-01T00:00:00Z"}})"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out.begin()->first, R"({ "$oid" : "5f2b5a0e8d1c2a3b4c5d6e7f" })");
  EXPECT_EQ(out.begin()->second, R"({ "n" : 5, "i" : 3, "d" : { "$date" : "2020-01-01T00:00:00Z" } })");
}

TEST_F(JobTest, TextLinesAreDocumentsWithAText) {
  JobPtr job = NewJob({{"map", "function () { this.text.split(' ').forEach(function (w) { emit(w, 1); }); }"},
                       {"reduce", "function (key, values) { return Array.sum(values); }"}});
  ASSERT_TRUE(job);
  FoldingContext ctx(job.get());
  job->Map(Record("a b a", nullptr, source_), ctx);
  EXPECT_EQ(ctx.emits_, 3);
  EXPECT_EQ(Json(job->Finalize(ValueView::String("a"), ctx.acc_.at("\"a\"").view())), "2.0");
}

// Each failure below names the function, the error and the document; the next job still runs.
class FailureTest : public JobTest {
 protected:
  std::string MapFailure(std::map<std::string, std::string> params) {
    params.emplace("reduce", "function (k, v) { return Array.sum(v); }");
    JobPtr job = NewJob(params);
    EXPECT_TRUE(job);
    if (!job) return "";
    FoldingContext ctx(job.get());
    const std::string bson = ToBson("{\"_id\": 17, \"x\": 1}");
    const DocumentView doc(bson.data(), bson.size());
    limit_ = false;
    try {
      job->Map(Record("", &doc, source_), ctx);
    } catch (const LimitExceeded& e) {  // across the plugin boundary, as the engine catches it
      limit_ = true;
      return e.what();
    } catch (const std::exception& e) {
      return e.what();
    }
    return "no failure";
  }

  bool limit_ = false;  // the last MapFailure was a LimitExceeded (retried), not a user error

  void TearDown() override {  // the process lives on: a fresh job works
    JobPtr job = NewJob({{"map", "function () { emit('ok', 1); }"}, {"reduce", "function (k, v) { return 1; }"}});
    ASSERT_TRUE(job);
    FoldingContext ctx(job.get());
    job->Map(Record("x", nullptr, source_), ctx);
    EXPECT_EQ(ctx.emits_, 1);
  }
};

TEST_F(FailureTest, AThrowNamesTheErrorLineAndDocument) {
  EXPECT_EQ(MapFailure({{"map", "function () {\n  if (this.x) throw new Error('boom');\n}"}}),
            "map function threw Error: boom (map line 2) on document _id: 17");
  EXPECT_FALSE(limit_);
}

TEST_F(FailureTest, AReferenceErrorToo) {
  EXPECT_EQ(MapFailure({{"map", "function () { emit(this.x, undefinedThing); }"}}),
            "map function threw ReferenceError: undefinedThing is not defined (map line 1) on document _id: 17");
}

TEST_F(FailureTest, ASyntaxErrorFailsSetup) {
  std::string error;
  EXPECT_FALSE(NewJob({{"map", "function () { emit(this.x, 1) "}, {"reduce", "function (k, v) {}"}}, &error));
  EXPECT_NE(error.find("map function does not compile: threw SyntaxError"), std::string::npos) << error;
  EXPECT_FALSE(NewJob({{"map", "42"}, {"reduce", "function (k, v) {}"}}, &error));
  EXPECT_NE(error.find("map is not a function"), std::string::npos) << error;
  EXPECT_FALSE(NewJob({{"reduce", "function (k, v) {}"}}, &error));
  EXPECT_NE(error.find("needs --param map="), std::string::npos) << error;
}

TEST_F(FailureTest, AnInfiniteLoopIsStoppedAtTheTimeLimit) {
  EXPECT_EQ(MapFailure({{"map", "function () { while (true) {} }"}, {"call_timeout_ms", "200"}}),
            "map function exceeded 200 ms on document _id: 17");
  EXPECT_TRUE(limit_);
}

TEST_F(FailureTest, UnboundedAllocationRunsOutOfMemory) {
  for (const char* map : {"function () { var a = []; while (true) a.push({n: a.length}); }",
                          "function () { var a = []; while (true) a.push(new Array(100000).fill(1.5)); }",
                          "function () { var s = 'x'; var a = []; while (true) a.push(s.repeat(1 << 20) + a.length); }"}) {
    EXPECT_EQ(MapFailure({{"map", map}, {"memory_mb", "64"}}),
              "map function ran out of memory (limit 64 MB) on document _id: 17")
        << map;
    EXPECT_TRUE(limit_) << map;
  }
}

TEST_F(FailureTest, InfiniteRecursionIsAnError) {
  EXPECT_EQ(MapFailure({{"map", "function () { function f() { return f() + 1; } f(); }"}}),
            "map function threw InternalError: too much recursion (map line 1) on document _id: 17");
}

TEST_F(FailureTest, AReduceThatThrowsNamesTheKey) {
  JobPtr job = NewJob({{"map", "function () { emit('k', 1); }"},
                       {"reduce", "function (k, v) { throw new Error('no ' + k); }"}});
  ASSERT_TRUE(job);
  std::vector<Value> vals = {Value::Double(1), Value::Double(2)};
  std::vector<ValueView> views(vals.begin(), vals.end());
  const Value bag = job->Reduce(ValueView::String("k"), Values(views));  // batched: no call yet
  try {
    job->Finalize(ValueView::String("k"), bag.view());
    FAIL() << "no failure";
  } catch (const std::exception& e) {
    EXPECT_STREQ(e.what(), "reduce function threw Error: no k (reduce line 1) for key \"k\"");
  }
}

TEST_F(FailureTest, EmitOutsideMapAndBadArgumentsAreErrors) {
  EXPECT_EQ(MapFailure({{"map", "function () { emit(1); }"}}),
            "map function threw Error: emit() takes 2 arguments (key, value), got 1 (map line 1) on document _id: 17");
  // The engine's value types now hold every BSON type (include/aviary/value.h), so the
  // restriction on emitting a regex is lifted, as EngineReadsType() was built to do.
  EXPECT_EQ(MapFailure({{"map", "function () { emit(/x/, 1); }"}}), "no failure");
}

}  // namespace
}  // namespace aviary
