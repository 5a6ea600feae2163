// MongoInput against live aviary-shardserver processes: a two-shard cluster laid out by hand
// (config documents on a third server), with orphans planted on the wrong shard.
#include "storage/mongo/mongo_input.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "storage/mongo/shard_key.h"
#include "storage/mongo/test_cluster.h"

namespace aviary::mongo {
namespace {

using testing::Bson;
using testing::Insert;
using testing::InsertBson;
using testing::MiniCluster;

// Collects records: the "k" field of each document, its text, and where it came from.
class CollectingSink : public RecordSink {
 public:
  bool OnRecord(const Record& record) override {
    const std::optional<ValueView> k = record.document()->Get("k");
    keys.push_back(k ? k->as_int() : -1);
    texts.emplace_back(record.text());
    shards.emplace(record.source().shard);
    collection = std::string(record.source().collection);
    return stop_after == 0 || keys.size() < stop_after;
  }
  std::vector<int64_t> keys;
  std::vector<std::string> texts;
  std::set<std::string> shards;
  std::string collection;
  size_t stop_after = 0;
};

std::string Doc(int64_t k) { return R"({"k": )" + std::to_string(k) + R"(, "text": "word)" + std::to_string(k) + R"("})"; }

std::unique_ptr<InputFormat> Input(const std::string& uri, const std::string& query = "") {
  MongoInputOptions options;
  options.query_json = query;
  StatusOr<std::unique_ptr<InputFormat>> in = NewMongoInput(uri, options);
  EXPECT_TRUE(in.ok()) << in.status().ToString();
  return std::move(in).value();
}

struct ReadResult {
  std::multiset<int64_t> keys;
  InputStats stats;
  std::vector<rpc::InputSplit> splits;
};

// Plans with `desired` map tasks and reads every split.
ReadResult PlanAndRead(InputFormat* in, uint32_t desired) {
  ReadResult r;
  StatusOr<std::vector<rpc::InputSplit>> splits = in->PlanSplits({desired});
  EXPECT_TRUE(splits.ok()) << splits.status().ToString();
  if (!splits.ok()) return r;
  r.splits = *splits;
  for (const rpc::InputSplit& split : *splits) {
    CollectingSink sink;
    Status s = in->ReadSplit(split, &sink, &r.stats);
    EXPECT_TRUE(s.ok()) << s.ToString();
    for (int64_t k : sink.keys) r.keys.insert(k);
    if (!sink.keys.empty()) {
      EXPECT_EQ(sink.shards, std::set<std::string>{MongoPayload(split).shard()});
      EXPECT_EQ(sink.collection, MongoPayload(split).namespace_());
    }
  }
  return r;
}

std::multiset<int64_t> Range(int64_t from, int64_t to) {
  std::multiset<int64_t> s;
  for (int64_t k = from; k < to; ++k) s.insert(k);
  return s;
}

class MongoInputTest : public ::testing::Test {
 protected:
  MiniCluster cluster_{2};
};

TEST_F(MongoInputTest, RangedKeySkipsOrphans) {
  cluster_.Shard("shop.items", R"({"k": 1})",
                 {{R"({"k": {"aviary": "minKey"}})", R"({"k": 500})", 0}, {R"({"k": 500})", R"({"k": {"aviary": "maxKey"}})", 1}});
  std::vector<std::string> s0, s1;
  for (int k = 0; k < 1000; ++k) (k < 500 ? s0 : s1).push_back(Doc(k));
  for (int k = 0; k < 50; ++k) s1.push_back(Doc(k));      // orphans left by a migration to s0
  for (int k = 900; k < 920; ++k) s0.push_back(Doc(k));   // and the other way
  Insert(cluster_.shard_uri(0), "shop.items", s0);
  Insert(cluster_.shard_uri(1), "shop.items", s1);

  auto in = Input(cluster_.config_uri() + "shop.items");
  ReadResult r = PlanAndRead(in.get(), 0);
  ASSERT_EQ(r.splits.size(), 2u);
  EXPECT_EQ(r.splits[0].location(), "s0");
  EXPECT_EQ(MongoPayload(r.splits[0]).shard_uri(), cluster_.shard_uri(0));
  EXPECT_EQ(r.splits[1].location(), "s1");
  EXPECT_EQ(MongoPayload(r.splits[0]).owned_chunks_size(), 1);
  EXPECT_FALSE(MongoPayload(r.splits[0]).hashed());
  EXPECT_EQ(r.keys, Range(0, 1000));  // each document exactly once
  EXPECT_EQ(r.stats.records, 1000u);
  EXPECT_EQ(r.stats.orphans_skipped, 70u);
  EXPECT_GT(r.stats.bytes, 1000u * 20);
  // FerretDB ignores readConcern "snapshot": the shards are read at their own times, and the
  // job's status says so and why (snapshot.h).
  EXPECT_EQ(MongoPayload(r.splits[0]).at_cluster_time(), 0u);
  EXPECT_NE(in->ReadConsistency().find("no single point in time"), std::string::npos) << in->ReadConsistency();
  EXPECT_NE(in->ReadConsistency().find("ignored readConcern"), std::string::npos) << in->ReadConsistency();

  // Splits that read at a cluster time take the snapshot path (its own find command, snapshot.h);
  // FerretDB ignores the time, so the same documents come back, filtered the same way.
  std::multiset<int64_t> at_time;
  InputStats stats;
  for (rpc::InputSplit split : r.splits) {
    MongoSplit m = MongoPayload(split);
    m.set_at_cluster_time(uint64_t{1700000000} << 32 | 1);
    split.set_payload(m.SerializeAsString());
    CollectingSink sink;
    ASSERT_TRUE(in->ReadSplit(split, &sink, &stats).ok());
    at_time.insert(sink.keys.begin(), sink.keys.end());
  }
  EXPECT_EQ(at_time, Range(0, 1000));
  EXPECT_EQ(stats.orphans_skipped, 70u);
}

TEST_F(MongoInputTest, HashedKeyAndParts) {
  cluster_.Shard("shop.events", R"({"k": "hashed"})",
                 {{R"({"k": {"aviary": "minKey"}})", R"({"k": {"$numberLong": "0"}})", 0},
                  {R"({"k": {"$numberLong": "0"}})", R"({"k": {"aviary": "maxKey"}})", 1}});
  std::vector<std::string> docs[2];
  int orphans = 0;
  for (int64_t k = 0; k < 2000; ++k) {
    const int owner = HashedShardKeyValue(ValueView::Int64(k)) < 0 ? 0 : 1;
    docs[owner].push_back(Bson(Doc(k)));
    if (k % 100 == 0) {  // a stale copy on the other shard
      docs[1 - owner].push_back(Bson(Doc(k)));
      ++orphans;
    }
  }
  InsertBson(cluster_.shard_uri(0), "shop.events", docs[0]);
  InsertBson(cluster_.shard_uri(1), "shop.events", docs[1]);

  auto in = Input(cluster_.config_uri() + "shop.events");
  ReadResult one = PlanAndRead(in.get(), 2);
  ASSERT_EQ(one.splits.size(), 2u);
  EXPECT_TRUE(MongoPayload(one.splits[0]).hashed());
  EXPECT_EQ(one.keys, Range(0, 2000));
  EXPECT_EQ(one.stats.orphans_skipped, static_cast<uint64_t>(orphans));

  // Six map tasks over two shards: each shard's hash range is cut into three parts.
  ReadResult parts = PlanAndRead(in.get(), 6);
  ASSERT_EQ(parts.splits.size(), 6u);
  EXPECT_EQ(MongoPayload(parts.splits[4]).part(), 1u);
  EXPECT_EQ(MongoPayload(parts.splits[4]).num_parts(), 3u);
  EXPECT_EQ(parts.keys, Range(0, 2000));
  EXPECT_EQ(parts.stats.orphans_skipped, static_cast<uint64_t>(orphans));  // counted once, by part 0
}

TEST_F(MongoInputTest, RangedPartsUseRangeQueries) {
  std::vector<MiniCluster::ChunkSpec> chunks = {{R"({"k": {"aviary": "minKey"}})", R"({"k": 100})", 0},
                                                {R"({"k": 100})", R"({"k": 200})", 0},
                                                {R"({"k": 200})", R"({"k": 300})", 1},
                                                {R"({"k": 300})", R"({"k": {"aviary": "maxKey"}})", 1}};
  cluster_.Shard("shop.ranged", R"({"k": 1})", chunks);
  std::vector<std::string> s0, s1;
  for (int k = 0; k < 400; ++k) (k < 200 ? s0 : s1).push_back(Doc(k));
  s0.push_back(Doc(250));  // orphan
  Insert(cluster_.shard_uri(0), "shop.ranged", s0);
  Insert(cluster_.shard_uri(1), "shop.ranged", s1);
  auto in = Input(cluster_.config_uri() + "shop.ranged");
  ReadResult r = PlanAndRead(in.get(), 4);
  ASSERT_EQ(r.splits.size(), 4u);
  EXPECT_EQ(r.keys, Range(0, 400));
  EXPECT_EQ(r.stats.records, 400u);
}

TEST_F(MongoInputTest, QueryFilter) {
  cluster_.Shard("shop.items", R"({"k": 1})",
                 {{R"({"k": {"aviary": "minKey"}})", R"({"k": 50})", 0}, {R"({"k": 50})", R"({"k": {"aviary": "maxKey"}})", 1}});
  std::vector<std::string> s0, s1;
  for (int k = 0; k < 100; ++k) (k < 50 ? s0 : s1).push_back(Doc(k));
  Insert(cluster_.shard_uri(0), "shop.items", s0);
  Insert(cluster_.shard_uri(1), "shop.items", s1);
  auto in = Input(cluster_.config_uri() + "shop.items", R"({"k": {"$gte": 40, "$lt": 60}})");
  ReadResult r = PlanAndRead(in.get(), 0);
  EXPECT_EQ(r.keys, Range(40, 60));

  StatusOr<std::unique_ptr<InputFormat>> bad = NewMongoInput(cluster_.config_uri() + "shop.items", {"text", "{k: ", 100, 1000, "", ""});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("--query"), std::string::npos) << bad.status().message();
}

TEST_F(MongoInputTest, UnshardedOnPrimaryShardAndPlainServer) {
  // The local cluster's config server holds no data: the database's primary shard does.
  Insert(cluster_.config_uri(), "config.databases", {R"({"_id": "crm", "primary": "s1"})"});
  std::vector<std::string> docs;
  for (int k = 0; k < 10; ++k) docs.push_back(Doc(k));
  Insert(cluster_.shard_uri(1), "crm.people", docs);
  auto in = Input(cluster_.config_uri() + "crm.people");
  ReadResult r = PlanAndRead(in.get(), 8);
  ASSERT_EQ(r.splits.size(), 1u);
  EXPECT_EQ(r.splits[0].location(), "s1");
  EXPECT_EQ(r.keys, Range(0, 10));

  // A plain server (no config database): one split, read where we are, no preference.
  auto plain = Input(cluster_.shard_uri(1) + "crm.people");
  r = PlanAndRead(plain.get(), 8);
  ASSERT_EQ(r.splits.size(), 1u);
  EXPECT_EQ(r.splits[0].location(), "");
  EXPECT_EQ(MongoPayload(r.splits[0]).shard_key(), "");
  EXPECT_EQ(r.keys, Range(0, 10));
}

TEST_F(MongoInputTest, MissingCollection) {
  auto in = Input(cluster_.shard_uri(0) + "nowhere.nothing");
  StatusOr<std::vector<rpc::InputSplit>> splits = in->PlanSplits({1});
  ASSERT_FALSE(splits.ok());
  EXPECT_EQ(splits.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(splits.status().message(), "collection nowhere.nothing does not exist on " + cluster_.shard_uri(0));
}

TEST_F(MongoInputTest, TextFieldAndEarlyStop) {
  Insert(cluster_.shard_uri(0), "t.docs",
         {R"({"k": 1, "text": "hello"})", R"({"k": 2, "text": 42})", R"({"k": 3})", R"({"k": 4, "body": {"text": "deep"}})"});
  MongoInputOptions options;
  StatusOr<std::unique_ptr<InputFormat>> in = NewMongoInput(cluster_.shard_uri(0) + "t.docs", options);
  ASSERT_TRUE(in.ok());
  auto splits = (*in)->PlanSplits({1});
  ASSERT_TRUE(splits.ok()) << splits.status().ToString();
  CollectingSink sink;
  InputStats stats;
  ASSERT_TRUE((*in)->ReadSplit((*splits)[0], &sink, &stats).ok());
  EXPECT_EQ(sink.texts, (std::vector<std::string>{"hello", "", "", ""}));

  options.text_field = "body.text";
  in = NewMongoInput(cluster_.shard_uri(0) + "t.docs", options);
  CollectingSink deep;
  deep.stop_after = 2;
  InputStats stats2;
  ASSERT_TRUE((*in)->ReadSplit((*splits)[0], &deep, &stats2).ok());  // a deliberate stop is OK
  EXPECT_EQ(deep.keys.size(), 2u);
}

TEST_F(MongoInputTest, PassthroughSplitKeepsEverything) {
  // Out mode "reduce" reads the previous result this way; no ownership filter applies.
  Insert(cluster_.shard_uri(0), "out.result", {R"({"_id": "a", "value": 1, "k": 1})", R"({"_id": "b", "value": 2, "k": 2})"});
  MongoSplit m;
  m.set_shard_uri(cluster_.shard_uri(0));
  m.set_namespace_("out.result");
  rpc::InputSplit split;
  split.set_payload(m.SerializeAsString());
  split.set_passthrough(true);
  auto in = Input(cluster_.shard_uri(0) + "out.result");
  CollectingSink sink;
  InputStats stats;
  ASSERT_TRUE(in->ReadSplit(split, &sink, &stats).ok());
  EXPECT_EQ(sink.keys, (std::vector<int64_t>{1, 2}));
}

TEST(MongoInputErrors, UnreachableServer) {
  auto in = Input("mongodb://u:secret@127.0.0.1:1/db.coll");
  StatusOr<std::vector<rpc::InputSplit>> splits = in->PlanSplits({1});
  ASSERT_FALSE(splits.ok());
  EXPECT_EQ(splits.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(splits.status().message().find("cannot reach mongodb://u:***@127.0.0.1:1/"), std::string::npos)
      << splits.status().message();
  MongoSplit m;
  m.set_shard_uri("mongodb://127.0.0.1:1/");
  m.set_namespace_("db.coll");
  rpc::InputSplit split;
  split.set_payload(m.SerializeAsString());
  CollectingSink sink;
  InputStats stats;
  Status s = in->ReadSplit(split, &sink, &stats);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
}

}  // namespace
}  // namespace aviary::mongo
