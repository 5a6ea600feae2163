#include <gtest/gtest.h>

#include <set>

#include "storage/registry.h"

namespace aviary {
namespace {

class Numbers : public RecordSink {
 public:
  bool OnRecord(const Record& record) override {
    seen.insert(std::stoull(std::string(record.text())));
    ++records;
    return true;
  }
  std::set<uint64_t> seen;
  uint64_t records = 0;
};

StatusOr<std::unique_ptr<InputFormat>> Open(const std::string& uri) {
  rpc::JobSpec job;
  job.set_input_uri(uri);
  return InputFormat::ForJob(job, Env::Default());
}

TEST(SeqSourceTest, YieldsEveryNumberOnceInKSplits) {
  auto input = Open("seq:10/3");
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  auto splits = (*input)->PlanSplits({});
  ASSERT_TRUE(splits.ok());
  ASSERT_EQ(splits->size(), 3u);
  EXPECT_EQ((*splits)[0].description(), "seq 0..2");
  Numbers sink;
  InputStats stats;
  for (const rpc::InputSplit& split : *splits) ASSERT_TRUE((*input)->ReadSplit(split, &sink, &stats).ok());
  EXPECT_EQ(sink.records, 10u);
  EXPECT_EQ(sink.seen.size(), 10u);
  EXPECT_EQ(*sink.seen.rbegin(), 9u);
  EXPECT_EQ(stats.records, 10u);
}

TEST(SeqSourceTest, SplitsDefaultToTheJobsMapTasks) {
  auto input = Open("seq:100");
  ASSERT_TRUE(input.ok());
  EXPECT_EQ((*input)->PlanSplits({.map_tasks = 7})->size(), 7u);
  EXPECT_EQ((*input)->PlanSplits({})->size(), 1u);
  EXPECT_TRUE((*Open("seq:0/4"))->PlanSplits({})->empty());
}

TEST(SeqSourceTest, RefusesMalformedUrisAndOptions) {
  for (const char* uri : {"seq:", "seq:x", "seq:5/0", "seq:5/", "seq:-1"}) {
    EXPECT_EQ(Open(uri).status().code(), StatusCode::kInvalidArgument) << uri;
  }
  rpc::JobSpec job;
  job.set_input_uri("seq:5");
  (*job.mutable_input_options())["field"] = "body";
  EXPECT_EQ(InputFormat::ForJob(job, Env::Default()).status().message(), "seq: input does not take --field");
}

}  // namespace
}  // namespace aviary
