#include "loader/load_chunks.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/mongo/bson_walk.h"
#include "storage/mongo/handles.h"
#include "storage/mongo/shard_key.h"

namespace aviary::loader {
namespace {

std::string Json(const bson_t* doc) {
  char* s = bson_as_relaxed_extended_json(doc, nullptr);
  std::string out = s;
  bson_free(s);
  return out;
}

std::vector<ValueView> IntKeys(const std::vector<int64_t>& storage) {
  std::vector<ValueView> keys;
  for (const int64_t& v : storage) keys.push_back(ValueView::Int64(v));
  return keys;
}

// MongoDB's initial split of a hashed key (InitialSplitPolicy::calculateHashedSplitPoints and
// its unit test: 4 chunks split at 0 and +-4611686018427387902).
TEST(HashedSplitPoints, MatchesMongoDB) {
  EXPECT_EQ(HashedSplitPoints(1), std::vector<int64_t>{});
  EXPECT_EQ(HashedSplitPoints(2), std::vector<int64_t>{0});
  EXPECT_EQ(HashedSplitPoints(4), (std::vector<int64_t>{-4611686018427387902LL, 0, 4611686018427387902LL}));
  EXPECT_EQ(HashedSplitPoints(3), (std::vector<int64_t>{-3074457345618258602LL, 3074457345618258602LL}));
  EXPECT_EQ(HashedSplitPoints(6), (std::vector<int64_t>{-6148914691236517204LL, -3074457345618258602LL, 0,
                                                         3074457345618258602LL, 6148914691236517204LL}));
}

TEST(PlanHashedChunks, RoundRobinOverShards) {
  const ChunkPlan plan = PlanHashedChunks("_id", 6, 3);
  EXPECT_TRUE(plan.hashed);
  EXPECT_EQ(plan.chunks(), 6u);
  EXPECT_EQ(plan.owner, (std::vector<int>{0, 1, 2, 0, 1, 2}));
}

TEST(ChunkOf, HashedUsesMongoDBsHash) {
  const ChunkPlan plan = PlanHashedChunks("x", 4, 2);
  const int64_t v = 42;  // hashes to -944302157085130861: in [-4611686018427387902, 0)
  ASSERT_EQ(mongo::HashedShardKeyValue(ValueView::Int64(v)), -944302157085130861LL);
  EXPECT_EQ(ChunkOf(plan, ValueView::Int64(v)), 1u);
  const int64_t zero = 0;  // hashes to 4854801880128277513: the last chunk
  EXPECT_EQ(ChunkOf(plan, ValueView::Int64(zero)), 3u);
}

TEST(PlanRangedChunks, CutsAtQuantiles) {
  std::vector<int64_t> values;
  for (int64_t i = 100; i >= 1; --i) values.push_back(i);
  const ChunkPlan plan = PlanRangedChunks("n", IntKeys(values), 4, 2);
  ASSERT_EQ(plan.splits.size(), 3u);
  EXPECT_EQ(plan.splits[0].view().as_int(), 26);
  EXPECT_EQ(plan.splits[1].view().as_int(), 51);
  EXPECT_EQ(plan.splits[2].view().as_int(), 76);
  EXPECT_EQ(plan.owner, (std::vector<int>{0, 1, 0, 1}));
  const int64_t one = 1, v26 = 26, v100 = 100;
  EXPECT_EQ(ChunkOf(plan, ValueView::Int64(one)), 0u);
  EXPECT_EQ(ChunkOf(plan, ValueView::Int64(v26)), 1u);
  EXPECT_EQ(ChunkOf(plan, ValueView::Int64(v100)), 3u);
  EXPECT_EQ(ChunkOf(plan, ValueView::Null()), 0u);                   // null sorts before numbers
  EXPECT_EQ(ChunkOf(plan, ValueView::String("a")), 3u);              // strings after numbers
  const double d = 50.5;
  EXPECT_EQ(ChunkOf(plan, ValueView::Double(d)), 1u);                // numbers compare across types
}

TEST(PlanRangedChunks, FewDistinctValuesGiveFewerChunks) {
  const std::vector<int64_t> same(50, 7);
  EXPECT_EQ(PlanRangedChunks("n", IntKeys(same), 4, 2).chunks(), 1u);
  EXPECT_EQ(PlanRangedChunks("n", {}, 4, 2).chunks(), 1u);
  const std::vector<int64_t> two = {1, 1, 1, 2, 2, 2};
  const ChunkPlan plan = PlanRangedChunks("n", IntKeys(two), 6, 3);
  ASSERT_EQ(plan.splits.size(), 1u);
  EXPECT_EQ(plan.splits[0].view().as_int(), 2);
}

TEST(AppendBound, OpenEndsAreStorableSentinels) {
  std::vector<int64_t> values = {1, 2, 3, 4};
  const ChunkPlan plan = PlanRangedChunks("n", IntKeys(values), 2, 2);
  mongo::ScopedBson min0, max0, min1, max1;
  AppendBound(min0.get(), plan, 0, false);
  AppendBound(max0.get(), plan, 0, true);
  AppendBound(min1.get(), plan, 1, false);
  AppendBound(max1.get(), plan, 1, true);
  EXPECT_EQ(Json(min0.get()), R"({ "n" : { "aviary" : "minKey" } })");
  EXPECT_EQ(Json(max0.get()), R"({ "n" : 3 })");
  EXPECT_EQ(Json(min1.get()), R"({ "n" : 3 })");
  EXPECT_EQ(Json(max1.get()), R"({ "n" : { "aviary" : "maxKey" } })");
}

TEST(AppendBound, StringsAndHashedValues) {
  const std::vector<ValueView> keys = {ValueView::String("pear"), ValueView::String("apple")};
  const ChunkPlan plan = PlanRangedChunks("name", keys, 2, 2);
  mongo::ScopedBson max0;
  AppendBound(max0.get(), plan, 0, true);
  EXPECT_EQ(Json(max0.get()), R"({ "name" : "pear" })");
  mongo::ScopedBson hashed, pattern;
  const ChunkPlan h = PlanHashedChunks("_id", 2, 2);
  AppendBound(hashed.get(), h, 1, false);
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init_find(&it, hashed.get(), "_id"));
  EXPECT_TRUE(BSON_ITER_HOLDS_INT64(&it));
  AppendKeyPattern(pattern.get(), h);
  EXPECT_EQ(Json(pattern.get()), R"({ "_id" : "hashed" })");
}

TEST(ShardKeyOf, MissingIsNullArraysAreRefused) {
  mongo::ScopedBson doc, arr;
  BSON_APPEND_UTF8(doc.get(), "a", "x");
  BSON_APPEND_INT32(arr.get(), "0", 1);
  BSON_APPEND_ARRAY(doc.get(), "tags", arr.get());
  const std::string_view bytes = mongo::BsonBytes(doc.get());
  StatusOr<ValueView> a = ShardKeyOf(bytes, "a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->as_string(), "x");
  StatusOr<ValueView> missing = ShardKeyOf(bytes, "b");
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->is_null());
  StatusOr<ValueView> tags = ShardKeyOf(bytes, "tags");
  ASSERT_FALSE(tags.ok());
  EXPECT_NE(tags.status().message().find("array"), std::string::npos);
}

TEST(CheckShardKeyField, TopLevelOnly) {
  EXPECT_TRUE(CheckShardKeyField("user").ok());
  EXPECT_FALSE(CheckShardKeyField("").ok());
  EXPECT_FALSE(CheckShardKeyField("$x").ok());
  const Status dotted = CheckShardKeyField("a.b");
  EXPECT_EQ(dotted.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(dotted.message().find("top-level"), std::string::npos);
}

}  // namespace
}  // namespace aviary::loader
