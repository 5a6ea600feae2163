#include "gateway/router/route.h"

#include <gtest/gtest.h>

#include "storage/mongo/handles.h"
#include "storage/mongo/test_fixtures.h"

namespace aviary::gateway::router {
namespace {

using mongo::testing::Bson;

std::shared_ptr<const mongo::Topology> MakeTopology(const std::string& pattern, const std::vector<std::string>& bounds) {
  auto t = std::make_shared<mongo::Topology>();
  t->sharded = true;
  t->key = mongo::ParseKeyPattern(Bson(pattern)).value();
  t->shards = {{"shard0", "127.0.0.1:1"}, {"shard1", "127.0.0.1:2"}};
  for (size_t i = 0; i + 1 < bounds.size(); ++i) {
    t->chunks.push_back({mongo::NormalizeBound(Bson(bounds[i]), t->key).value(),
                         mongo::NormalizeBound(Bson(bounds[i + 1]), t->key).value(), i % 2 == 0 ? "shard0" : "shard1"});
  }
  return t;
}

int ShardOfJson(Route& r, const std::string& json) { return r.ShardOf(Bson(json)); }

int ShardOfQueryJson(Route& r, const std::string& json) {
  const std::string bytes = Bson(json);  // outlives the view
  mongo::BsonView q(bytes);
  return r.ShardOfQuery(q.get());
}

TEST(Route, RangedKeyGoesToTheChunkOwner) {
  // [MinKey, 10) shard0, [10, 20) shard1, [20, MaxKey) shard0.
  Route r = Route::Create(MakeTopology(R"({"k": 1})", {R"({"k": {"$minKey": 1}})", R"({"k": 10})", R"({"k": 20})",
                                                       R"({"k": {"$maxKey": 1}})"}))
                .value();
  EXPECT_EQ(ShardOfJson(r, R"({"k": 9.5})"), 0);
  EXPECT_EQ(ShardOfJson(r, R"({"k": 10})"), 1);
  EXPECT_EQ(ShardOfJson(r, R"({"k": {"$numberLong": "19"}})"), 1);
  EXPECT_EQ(ShardOfJson(r, R"({"k": 20})"), 0);
  EXPECT_EQ(ShardOfJson(r, R"({"k": "text"})"), 0);  // strings sort after numbers
  EXPECT_EQ(ShardOfJson(r, R"({"other": 1})"), 0);  // missing: null, below every number
  EXPECT_TRUE(r.Owns(1, Bson(R"({"k": 15})")));
  EXPECT_FALSE(r.Owns(0, Bson(R"({"k": 15})")));
}

TEST(Route, HashedKeyUsesMongoDbsHash) {
  // Hashed: [MinKey, 0) shard0, [0, MaxKey) shard1: the hash spreads small integers over both.
  Route r = Route::Create(MakeTopology(R"({"_id": "hashed"})", {R"({"_id": {"$minKey": 1}})", R"({"_id": {"$numberLong": "0"}})",
                                                                 R"({"_id": {"$maxKey": 1}})"}))
                .value();
  int seen[2] = {0, 0};
  for (int i = 0; i < 64; ++i) {
    const int s = ShardOfJson(r, "{\"_id\": " + std::to_string(i) + "}");
    ASSERT_GE(s, 0);
    ++seen[s];
    // The same value of another numeric type hashes the same (MongoDB normalises to int64).
    EXPECT_EQ(s, ShardOfJson(r, "{\"_id\": {\"$numberLong\": \"" + std::to_string(i) + "\"}}"));
  }
  EXPECT_GT(seen[0], 10);
  EXPECT_GT(seen[1], 10);
}

TEST(Route, QueryTargetsOneShardOnlyWhenItPinsTheKey) {
  Route r = Route::Create(MakeTopology(R"({"k": 1})", {R"({"k": {"$minKey": 1}})", R"({"k": 10})", R"({"k": {"$maxKey": 1}})"}))
                .value();
  EXPECT_EQ(ShardOfQueryJson(r, R"({"k": 3, "x": 1})"), 0);
  EXPECT_EQ(ShardOfQueryJson(r, R"({"k": {"$eq": 12}})"), 1);
  EXPECT_EQ(ShardOfQueryJson(r, R"({"k": {"$gt": 12}})"), -1);
  EXPECT_EQ(ShardOfQueryJson(r, R"({"k": {"$eq": 12, "$lt": 20}})"), -1);
  EXPECT_EQ(ShardOfQueryJson(r, R"({"x": 1})"), -1);
  EXPECT_EQ(ShardOfQueryJson(r, R"({"k": {"$regularExpression": {"pattern": "a", "options": ""}}})"), -1);
  EXPECT_EQ(ShardOfQueryJson(r, R"({"k": {"sub": 1}})"), 1);  // an embedded document value: objects sort after numbers
}

}  // namespace
}  // namespace aviary::gateway::router
