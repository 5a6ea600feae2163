#include "storage/mongo/topology.h"

#include <gtest/gtest.h>

#include "storage/mongo/bson_walk.h"
#include "storage/mongo/test_fixtures.h"

namespace aviary::mongo {
namespace {

using testing::Bson;
using testing::LoadFixture;

ConfigDocuments RealClusterDocs() {
  ConfigDocuments docs;
  docs.shards = LoadFixture("mongodb_config_shards.json");
  docs.collections = LoadFixture("mongodb_config_collections.json");
  docs.chunks = LoadFixture("mongodb_config_chunks.json");
  docs.databases = LoadFixture("mongodb_config_databases.json");
  return docs;
}

TEST(ShardUri, ReplicaSetHostKeepsCredentialsAndOptions) {
  EXPECT_EQ(ShardUri("shard01/a:27018,b:27018", "mongodb://admin:pw@mongos:27017/?authSource=admin&tls=true&replicaSet=x"),
            "mongodb://admin:pw@a:27018,b:27018/?authSource=admin&tls=true&replicaSet=shard01");
  EXPECT_EQ(ShardUri("h:1", "mongodb://127.0.0.1:27017/"), "mongodb://h:1/");
  EXPECT_EQ(ShardUri("h:1", "mongodb://c:1/?directConnection=true&w=1"), "mongodb://h:1/?w=1");
  EXPECT_EQ(ShardUri("rs/h:1", "mongodb+srv://u:p@cluster.example.com/"), "mongodb://u:p@h:1/?tls=true&replicaSet=rs");
}

TEST(ParseShard, Fixtures) {
  std::vector<std::string> shards = LoadFixture("mongodb_config_shards.json");
  ASSERT_EQ(shards.size(), 3u);
  StatusOr<ShardInfo> s = ParseShard(shards[0]);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->name, "shard01");
  EXPECT_EQ(s->host, "shard01/mongo-s1a.example.net:27018,mongo-s1b.example.net:27018,mongo-s1c.example.net:27018");
  EXPECT_FALSE(ParseShard(Bson(R"({"_id": "x"})")).ok());
}

// The values of a normalised bound, as relaxed JSON, for readable expectations.
std::string Json(const std::string& bound) { return BsonToShortJson(bound); }

TEST(BuildTopology, RangedCompoundKey) {
  StatusOr<Topology> t = BuildTopology("shop.orders", RealClusterDocs());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->sharded);
  EXPECT_EQ(t->key.fields, (std::vector<std::string>{"customer", "orderId"}));
  EXPECT_FALSE(t->key.hashed());
  ASSERT_EQ(t->chunks.size(), 3u);  // sorted, whatever the order in config.chunks
  EXPECT_EQ(Json(t->chunks[0].min), R"({ "customer" : { "$minKey" : 1 }, "orderId" : { "$minKey" : 1 } })");
  EXPECT_EQ(t->chunks[0].shard, "shard01");
  EXPECT_EQ(Json(t->chunks[1].min), R"({ "customer" : "g", "orderId" : { "$minKey" : 1 } })");
  EXPECT_EQ(t->chunks[1].shard, "shard02");
  EXPECT_EQ(Json(t->chunks[2].max), R"({ "customer" : { "$maxKey" : 1 }, "orderId" : { "$maxKey" : 1 } })");
  EXPECT_EQ(t->shards.size(), 3u);
}

TEST(BuildTopology, HashedKeyWithNumberLongBounds) {
  StatusOr<Topology> t = BuildTopology("shop.events", RealClusterDocs());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->key.hashed());
  EXPECT_EQ(t->key.hashed_field, 0);
  ASSERT_EQ(t->chunks.size(), 4u);
  EXPECT_EQ(Json(t->chunks[1].min), R"({ "userId" : -4611686018427387902 })");
  EXPECT_EQ(Json(t->chunks[2].min), R"({ "userId" : 0 })");
  EXPECT_EQ(t->chunks[3].shard, "shard02");
}

TEST(BuildTopology, PreFiveChunksByNamespace) {
  StatusOr<Topology> t = BuildTopology("legacy.items", RealClusterDocs());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->key.fields, std::vector<std::string>{"meta.sku"});
  ASSERT_EQ(t->chunks.size(), 2u);
  EXPECT_EQ(t->chunks[1].shard, "shard03");
}

TEST(BuildTopology, UnshardedDroppedAndMissing) {
  StatusOr<Topology> t = BuildTopology("shop.customers", RealClusterDocs());
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->sharded);
  EXPECT_EQ(t->primary_shard, "shard01");
  t = BuildTopology("shop.retired", RealClusterDocs());  // dropped: true (before 4.4)
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->sharded);
  t = BuildTopology("other.things", ConfigDocuments());  // no config database at all
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->sharded);
  EXPECT_TRUE(t->primary_shard.empty());
}

TEST(BuildTopology, LocalClusterSentinels) {
  ConfigDocuments docs;
  docs.shards = LoadFixture("local_config_shards.json");
  docs.collections = LoadFixture("local_config_collections.json");
  docs.chunks = LoadFixture("local_config_chunks.json");
  StatusOr<Topology> t = BuildTopology("demo.words", docs);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->chunks.size(), 2u);
  EXPECT_EQ(Json(t->chunks[0].min), R"({ "k" : { "$minKey" : 1 } })");
  EXPECT_EQ(Json(t->chunks[1].max), R"({ "k" : { "$maxKey" : 1 } })");
}

TEST(BuildTopology, InconsistentMetadata) {
  ConfigDocuments docs;
  docs.shards = {Bson(R"({"_id": "a", "host": "h:1"})")};
  docs.collections = {Bson(R"({"_id": "d.c", "key": {"x": 1}})")};
  docs.chunks = {Bson(R"({"ns": "d.c", "min": {"x": {"$minKey": 1}}, "max": {"x": 5}, "shard": "a"})"),
                 Bson(R"({"ns": "d.c", "min": {"x": 6}, "max": {"x": {"$maxKey": 1}}, "shard": "a"})")};
  StatusOr<Topology> t = BuildTopology("d.c", docs);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("gap"), std::string::npos) << t.status().message();

  docs.chunks = {Bson(R"({"ns": "d.c", "min": {"x": {"$minKey": 1}}, "max": {"x": {"$maxKey": 1}}, "shard": "zz"})")};
  t = BuildTopology("d.c", docs);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("'zz'"), std::string::npos) << t.status().message();

  docs.chunks = {Bson(R"({"ns": "d.c", "min": {"y": {"$minKey": 1}}, "max": {"y": {"$maxKey": 1}}, "shard": "a"})")};
  t = BuildTopology("d.c", docs);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("does not match shard key"), std::string::npos) << t.status().message();

  docs.chunks.clear();
  EXPECT_FALSE(BuildTopology("d.c", docs).ok());
}

TEST(ParseKeyPattern, Errors) {
  EXPECT_FALSE(ParseKeyPattern(Bson(R"({"a": -1})")).ok());
  EXPECT_FALSE(ParseKeyPattern(Bson(R"({"a": "hashed", "b": "hashed"})")).ok());
  EXPECT_FALSE(ParseKeyPattern(Bson(R"({})")).ok());
  StatusOr<KeyPattern> k = ParseKeyPattern(Bson(R"({"a": 1, "b": "hashed"})"));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->hashed_field, 1);
}

// What a chunk migration, a split or a resharding changes, the layout version must tell apart.
TEST(LayoutVersion, ChangesExactlyWhenOwnershipCould) {
  Topology t;
  t.ns = "d.c";
  t.sharded = true;
  t.key.bson = Bson(R"({"k": 1})");
  t.chunks = {{Bson(R"({"k": 0})"), Bson(R"({"k": 10})"), "a"}, {Bson(R"({"k": 10})"), Bson(R"({"k": 20})"), "b"}};
  const std::string planned = LayoutVersion(t);
  EXPECT_EQ(planned.substr(0, 18), "2 chunks, version ");
  EXPECT_EQ(LayoutVersion(t), planned);

  Topology moved = t;
  moved.chunks[1].shard = "a";
  EXPECT_NE(LayoutVersion(moved), planned);
  Topology split = t;
  split.chunks[1].max = Bson(R"({"k": 15})");
  split.chunks.push_back({Bson(R"({"k": 15})"), Bson(R"({"k": 20})"), "b"});
  EXPECT_NE(LayoutVersion(split), planned);
  EXPECT_EQ(LayoutVersion(split).substr(0, 8), "3 chunks");
  Topology rekeyed = t;
  rekeyed.key.bson = Bson(R"({"k": "hashed"})");
  EXPECT_NE(LayoutVersion(rekeyed), planned);
  // Fields glued differently never collide: "ab" + "" is not "a" + "b".
  Topology glued = t;
  glued.chunks[0].shard = "ab";
  glued.chunks[1].min = "";
  Topology apart = t;
  apart.chunks[0].shard = "a";
  apart.chunks[1].min = "b";
  EXPECT_NE(LayoutVersion(glued), LayoutVersion(apart));

  Topology unsharded;
  unsharded.ns = "d.c";
  unsharded.primary_shard = "a";
  Topology moved_primary = unsharded;
  moved_primary.primary_shard = "b";
  EXPECT_NE(LayoutVersion(unsharded), LayoutVersion(moved_primary));
}

}  // namespace
}  // namespace aviary::mongo
