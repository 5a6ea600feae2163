#include "storage/mongo/sort_limit.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "storage/mongo/bson_walk.h"
#include "storage/mongo/handles.h"

namespace aviary::mongo {
namespace {

std::string Json(const std::string& json) {
  bson_error_t error;
  BsonPtr doc(bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()), static_cast<ssize_t>(json.size()), &error));
  EXPECT_TRUE(doc) << json << ": " << error.message;
  return doc ? std::string(BsonBytes(doc.get())) : std::string();
}

SortSpec Sort(const std::string& json) {
  StatusOr<SortSpec> s = ParseSort(Json(json));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : SortSpec{};
}

// The _id (int32) of each chosen candidate, in order.
std::vector<int> Ids(const std::vector<Candidate>& chosen) {
  std::vector<int> ids;
  for (const Candidate& c : chosen) {
    BsonElement e;
    EXPECT_TRUE(FindPath(c.doc.data(), c.doc.size(), "_id", &e));
    int32_t v = 0;
    std::memcpy(&v, e.payload, sizeof v);
    ids.push_back(v);
  }
  return ids;
}

std::vector<Candidate> Docs(const std::vector<std::string>& json) {
  std::vector<Candidate> out;
  for (size_t i = 0; i < json.size(); ++i) out.push_back({Json(json[i]), i % 3});
  return out;
}

TEST(ParseSortTest, TakesOneAndMinusOneOfAnyNumberType) {
  const SortSpec s = Sort(R"({"a": 1, "b.c": -1, "d": {"$numberLong": "1"}, "e": -1.0})");
  EXPECT_EQ(s.fields, (std::vector<std::string>{"a", "b.c", "d", "e"}));
  EXPECT_EQ(s.directions, (std::vector<int>{1, -1, 1, -1}));
}

TEST(ParseSortTest, RefusesOtherDirectionsAndEmpty) {
  EXPECT_FALSE(ParseSort(Json(R"({"a": 2})")).ok());
  EXPECT_FALSE(ParseSort(Json(R"({"a": "text"})")).ok());
  EXPECT_FALSE(ParseSort(Json(R"({"a": 0})")).ok());
  const Status empty = ParseSort(Json("{}")).status();
  EXPECT_NE(empty.message().find("--sort"), std::string::npos) << empty.ToString();
}

TEST(ParseLimitTest, NonNegativeIntegersOnly) {
  EXPECT_EQ(*ParseLimit("0"), 0);
  EXPECT_EQ(*ParseLimit("25"), 25);
  for (const char* bad : {"-1", "2.5", "", "ten", "1e3", "99999999999999999999"}) {
    const Status s = ParseLimit(bad).status();
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.message().find("--limit"), std::string::npos) << s.ToString();
  }
}

TEST(FirstInOrderTest, TiesAtTheBoundaryBreakByIdSoTheCountIsExact) {
  auto docs = Docs({R"({"_id": 5, "t": 2})", R"({"_id": 1, "t": 2})", R"({"_id": 3, "t": 1})", R"({"_id": 4, "t": 2})",
                    R"({"_id": 2, "t": 3})"});
  EXPECT_EQ(Ids(FirstInOrder(Sort(R"({"t": -1})"), docs, 3)), (std::vector<int>{2, 1, 4}));
  EXPECT_EQ(Ids(FirstInOrder(Sort(R"({"t": 1})"), docs, 2)), (std::vector<int>{3, 1}));
}

TEST(FirstInOrderTest, MissingAndNullSortFirstAscendingLastDescending) {
  auto docs = Docs({R"({"_id": 1, "t": 0})", R"({"_id": 2})", R"({"_id": 3, "t": null})", R"({"_id": 4, "t": -7})"});
  EXPECT_EQ(Ids(FirstInOrder(Sort(R"({"t": 1})"), docs, 3)), (std::vector<int>{2, 3, 4}));
  EXPECT_EQ(Ids(FirstInOrder(Sort(R"({"t": -1})"), docs, 4)), (std::vector<int>{1, 4, 2, 3}));
}

TEST(FirstInOrderTest, MixedNumberTypesCompareByValue) {
  auto docs = Docs({R"({"_id": 1, "t": {"$numberLong": "3"}})", R"({"_id": 2, "t": 2.5})", R"({"_id": 3, "t": 3.0})",
                    R"({"_id": 4, "t": 10})", R"({"_id": 5, "t": "9"})"});
  // Strings sort after every number; 3L and 3.0 tie and fall back to _id.
  EXPECT_EQ(Ids(FirstInOrder(Sort(R"({"t": 1})"), docs, 4)), (std::vector<int>{2, 1, 3, 4}));
  EXPECT_EQ(Ids(FirstInOrder(Sort(R"({"t": -1})"), docs, 2)), (std::vector<int>{5, 4}));
}

TEST(FirstInOrderTest, CompoundKeysAndDottedPaths) {
  auto docs = Docs({R"({"_id": 1, "a": {"x": 1}, "b": 1})", R"({"_id": 2, "a": {"x": 1}, "b": 2})",
                    R"({"_id": 3, "a": {"x": 0}, "b": 0})", R"({"_id": 4, "a": {"x": 1}, "b": 2})"});
  EXPECT_EQ(Ids(FirstInOrder(Sort(R"({"a.x": -1, "b": -1})"), docs, 3)), (std::vector<int>{2, 4, 1}));
}

TEST(FirstInOrderTest, WithoutSortFieldsUsesIdOrderAndFewerThanLimitKeepsAll) {
  auto docs = Docs({R"({"_id": 3})", R"({"_id": 1})", R"({"_id": 2})"});
  EXPECT_EQ(Ids(FirstInOrder(SortSpec{}, docs, 2)), (std::vector<int>{1, 2}));
  EXPECT_EQ(Ids(FirstInOrder(SortSpec{}, docs, 10)), (std::vector<int>{1, 2, 3}));
}

TEST(SortDocumentTest, AppendsIdTieBreakUnlessSortedOnId) {
  const SortSpec by_t = Sort(R"({"t": -1})");
  EXPECT_EQ(SortDocument(by_t), Json(R"({"t": -1, "_id": 1})"));
  const SortSpec by_id = Sort(R"({"_id": -1})");
  EXPECT_EQ(SortDocument(by_id), Json(R"({"_id": -1})"));
}

TEST(ShardFirstTest, StopsEarlyInOrderAndSortsWhenTheServerOrderDoesNotHold) {
  const SortSpec sort = Sort(R"({"t": 1})");
  ShardFirst ordered(&sort, 2);
  ordered.Add(Json(R"({"_id": 1, "t": 1})"));
  EXPECT_FALSE(ordered.Done());
  ordered.Add(Json(R"({"_id": 2, "t": 2})"));
  EXPECT_TRUE(ordered.Done());

  ShardFirst unordered(&sort, 2);
  for (const char* d : {R"({"_id": 1, "t": 5})", R"({"_id": 2, "t": 1})", R"({"_id": 3, "t": 3})"}) {
    unordered.Add(Json(d));
  }
  EXPECT_FALSE(unordered.Done());
  std::vector<Candidate> taken;
  for (std::string& d : unordered.Take()) taken.push_back({std::move(d), 0});
  EXPECT_EQ(Ids(taken), (std::vector<int>{2, 3}));
}

}  // namespace
}  // namespace aviary::mongo
