#include "storage/mongo/split_plan.h"

#include <gtest/gtest.h>

#include "storage/mongo/handles.h"
#include "storage/mongo/test_fixtures.h"

namespace aviary::mongo {
namespace {

using testing::Bson;

KeyPattern Key(const std::string& json) {
  StatusOr<KeyPattern> k = ParseKeyPattern(Bson(json));
  EXPECT_TRUE(k.ok());
  return *k;
}

ChunkBounds Range(const std::string& min, const std::string& max) { return {Bson(min), Bson(max)}; }

std::string Filter(const KeyPattern& key, const std::vector<ChunkBounds>& ranges) {
  ScopedBson f;
  if (!AppendRangeFilter(key, ranges, f.get())) return "none";
  return BsonToShortJson(std::string(f.bytes()));
}

TEST(AppendRangeFilter, SameTypeBoundsOnly) {
  const KeyPattern k = Key(R"({"k": 1})");
  EXPECT_EQ(Filter(k, {Range(R"({"k": 100})", R"({"k": 200})")}), R"({ "k" : { "$gte" : 100, "$lt" : 200 } })");
  EXPECT_EQ(Filter(k, {Range(R"({"k": 1})", R"({"k": 2})"), Range(R"({"k": "a"})", R"({"k": "b"})")}),
            R"({ "$or" : [ { "k" : { "$gte" : 1, "$lt" : 2 } }, { "k" : { "$gte" : "a", "$lt" : "b" } } ] })");
  // MinKey/MaxKey ends and type-spanning ranges would lose documents to type bracketing.
  EXPECT_EQ(Filter(k, {Range(R"({"k": {"$minKey": 1}})", R"({"k": 5})")}), "none");
  EXPECT_EQ(Filter(k, {Range(R"({"k": 5})", R"({"k": {"$maxKey": 1}})")}), "none");
  EXPECT_EQ(Filter(k, {Range(R"({"k": 5})", R"({"k": "x"})")}), "none");
  EXPECT_EQ(Filter(Key(R"({"k": "hashed"})"), {Range(R"({"k": 1})", R"({"k": 2})")}), "none");
}

TEST(AppendRangeFilter, CompoundKeyUsesFirstField) {
  const KeyPattern k = Key(R"({"a": 1, "b": 1})");
  // The upper bound's rest is not MinKey: a == "p" may still be inside, so $lte.
  EXPECT_EQ(Filter(k, {Range(R"({"a": "g", "b": {"$minKey": 1}})", R"({"a": "p", "b": 100})")}),
            R"({ "a" : { "$gte" : "g", "$lte" : "p" } })");
  EXPECT_EQ(Filter(k, {Range(R"({"a": "g", "b": 1})", R"({"a": "p", "b": {"$minKey": 1}})")}),
            R"({ "a" : { "$gte" : "g", "$lt" : "p" } })");
}

TEST(PartChunks, HashedSlicesCoverTheRangeOnce) {
  const KeyPattern k = Key(R"({"h": "hashed"})");
  const std::vector<ChunkBounds> chunks = {Range(R"({"h": {"$minKey": 1}})", R"({"h": {"$numberLong": "0"}})")};
  EXPECT_EQ(PossibleParts(k, 1, 4), 4u);
  std::vector<ChunkBounds> all;
  for (uint32_t p = 0; p < 4; ++p) {
    std::vector<ChunkBounds> part = PartChunks(k, chunks, p, 4);
    ASSERT_EQ(part.size(), 1u);
    all.push_back(part[0]);
  }
  EXPECT_EQ(BsonToShortJson(all[0].min), R"({ "h" : { "$minKey" : 1 } })");
  EXPECT_EQ(BsonToShortJson(all[0].max), R"({ "h" : -6917529027641081856 })");
  for (size_t i = 0; i + 1 < all.size(); ++i) EXPECT_EQ(all[i].max, all[i + 1].min);
  EXPECT_EQ(BsonToShortJson(all[3].max), R"({ "h" : 0 })");
}

TEST(PartChunks, RangedPartsFollowChunks) {
  const KeyPattern k = Key(R"({"k": 1})");
  std::vector<ChunkBounds> chunks;
  for (int i = 0; i < 5; ++i) chunks.push_back(Range(R"({"k": )" + std::to_string(i) + "}", R"({"k": )" + std::to_string(i + 1) + "}"));
  EXPECT_EQ(PossibleParts(k, 5, 8), 5u);
  EXPECT_EQ(PossibleParts(k, 5, 2), 2u);
  EXPECT_EQ(PartChunks(k, chunks, 0, 2).size(), 2u);
  EXPECT_EQ(PartChunks(k, chunks, 1, 2).size(), 3u);
  EXPECT_EQ(PartChunks(k, chunks, 0, 1).size(), 5u);
}

}  // namespace
}  // namespace aviary::mongo
