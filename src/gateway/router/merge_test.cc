#include "gateway/router/merge.h"

#include <gtest/gtest.h>

#include "storage/mongo/handles.h"
#include "storage/mongo/key_pattern.h"
#include "storage/mongo/test_fixtures.h"

namespace aviary::gateway::router {
namespace {

using mongo::testing::Bson;

std::string Json(const std::string& bson) { return mongo::BsonToShortJson(bson); }

std::vector<mongo::Candidate> Docs(const std::vector<std::pair<std::string, size_t>>& docs) {
  std::vector<mongo::Candidate> out;
  for (const auto& [json, shard] : docs) out.push_back({Bson(json), shard});
  return out;
}

TEST(MergeSorted, SortsAcrossShardsThenSkipsAndLimits) {
  const mongo::SortSpec sort = mongo::ParseSort(Bson(R"({"v": -1})")).value();
  // Two shards, each already sorted (as they answer); the merge interleaves them.
  auto docs = Docs({{R"({"_id": 1, "v": 9})", 0}, {R"({"_id": 2, "v": 5})", 0}, {R"({"_id": 3, "v": 1})", 0},
                    {R"({"_id": 4, "v": 8})", 1}, {R"({"_id": 5, "v": 5})", 1}, {R"({"_id": 6, "v": 2})", 1}});
  std::vector<std::string> out = MergeSorted(sort, docs, /*skip=*/1, /*limit=*/3);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(Json(out[0]), Json(Bson(R"({"_id": 4, "v": 8})")));
  EXPECT_EQ(Json(out[1]), Json(Bson(R"({"_id": 2, "v": 5})")));  // ties broken by _id
  EXPECT_EQ(Json(out[2]), Json(Bson(R"({"_id": 5, "v": 5})")));
  EXPECT_EQ(MergeSorted(sort, docs, 0, 0).size(), 6u);  // no limit
  EXPECT_EQ(MergeSorted(sort, docs, 10, 0).size(), 0u);
  EXPECT_EQ(MergeSorted(std::nullopt, docs, 4, 0).size(), 2u);  // unsorted: shard after shard
}

TEST(PlanProjection, AddsAndStripsTheFieldsTheGatewayNeeds) {
  // Inclusion without the shard key: the shard sends it, the gateway strips it.
  ProjectionPlan p = PlanProjection(Bson(R"({"name": 1})"), {"k", "_id"});
  EXPECT_EQ(Json(p.shard_projection), Json(Bson(R"({"name": 1, "k": 1})")));
  EXPECT_EQ(p.strip, std::vector<std::string>{"k"});
  // _id: 0 with _id as the key: the shard keeps _id, the gateway strips it.
  p = PlanProjection(Bson(R"({"_id": 0, "name": 1})"), {"_id"});
  EXPECT_EQ(Json(p.shard_projection), Json(Bson(R"({"name": 1})")));
  EXPECT_EQ(p.strip, std::vector<std::string>{"_id"});
  // Exclusion of the sort field: no longer excluded on the shard.
  p = PlanProjection(Bson(R"({"v": 0, "big": 0})"), {"k", "v"});
  EXPECT_EQ(Json(p.shard_projection), Json(Bson(R"({"big": 0})")));
  EXPECT_EQ(p.strip, std::vector<std::string>{"v"});
  // Already included: nothing to strip; no projection: whole documents.
  EXPECT_TRUE(PlanProjection(Bson(R"({"k": 1})"), {"k"}).strip.empty());
  EXPECT_TRUE(PlanProjection("", {"k"}).shard_projection.empty());
  EXPECT_EQ(Json(Strip(Bson(R"({"_id": 1, "k": 2, "n": 3})"), {"k"})), Json(Bson(R"({"_id": 1, "n": 3})")));
}

TEST(MergeGroups, SumsPartialsWithEqualIds) {
  std::vector<std::string> out = MergeGroups({Bson(R"({"_id": "a", "n": 2, "s": 1.5})"), Bson(R"({"_id": "b", "n": 1, "s": 1})"),
                                              Bson(R"({"_id": "a", "n": 3, "s": 1})"), Bson(R"({"_id": 1, "n": 2147483647, "s": 0})"),
                                              Bson(R"({"_id": 1.0, "n": 1, "s": 0})")});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(Json(out[0]), Json(Bson(R"({"_id": "a", "n": 5, "s": 2.5})")));
  EXPECT_EQ(Json(out[1]), Json(Bson(R"({"_id": "b", "n": 1, "s": 1})")));
  // 1 and 1.0 are one group; an int32 overflow widens to int64 as $sum does.
  EXPECT_EQ(Json(out[2]), Json(Bson(R"({"_id": 1, "n": {"$numberLong": "2147483648"}, "s": 0})")));
}

}  // namespace
}  // namespace aviary::gateway::router
