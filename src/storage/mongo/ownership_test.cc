#include "storage/mongo/ownership.h"

#include <gtest/gtest.h>

#include "storage/mongo/shard_key.h"
#include "storage/mongo/test_fixtures.h"
#include "storage/mongo/topology.h"

namespace aviary::mongo {
namespace {

using testing::Bson;
using testing::LoadFixture;

// The filter for the chunks `shard` owns in the real-cluster fixtures.
OwnershipFilter FilterFor(const std::string& ns, const std::string& shard) {
  ConfigDocuments docs;
  docs.shards = LoadFixture("mongodb_config_shards.json");
  docs.collections = LoadFixture("mongodb_config_collections.json");
  docs.chunks = LoadFixture("mongodb_config_chunks.json");
  StatusOr<Topology> t = BuildTopology(ns, docs);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  std::vector<ChunkBounds> owned;
  for (const Chunk& c : t->chunks) {
    if (c.shard == shard) owned.push_back({c.min, c.max});
  }
  StatusOr<OwnershipFilter> f = OwnershipFilter::Create(t->key, owned);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return std::move(f).value();
}

bool Owns(OwnershipFilter& f, const std::string& json) {
  const std::string doc = Bson(json);
  return f.Owns(doc.data(), doc.size());
}

TEST(OwnershipFilter, CompoundRangedKey) {
  // shard01: [MinKey, {g, MinKey}) and [{p, 100}, MaxKey); shard02: the middle.
  OwnershipFilter s1 = FilterFor("shop.orders", "shard01");
  OwnershipFilter s2 = FilterFor("shop.orders", "shard02");
  EXPECT_EQ(s1.num_ranges(), 2u);
  for (const char* doc : {R"({"customer": "h", "orderId": 5})", R"({"customer": "p", "orderId": 99})",
                          R"({"customer": "g"})", R"({"customer": "p", "orderId": 99.5})"}) {
    EXPECT_FALSE(Owns(s1, doc)) << doc;
    EXPECT_TRUE(Owns(s2, doc)) << doc;
  }
  for (const char* doc : {R"({"customer": "p", "orderId": 100})", R"({"customer": "a"})", R"({"other": 1})",
                          R"({"customer": 12, "orderId": 1})", R"({"customer": {"$oid": "650000000000000000000001"}})",
                          R"({"customer": "p", "orderId": "zzz"})", R"({"customer": "f", "orderId": {"$maxKey": 1}})"}) {
    EXPECT_TRUE(Owns(s1, doc)) << doc;
    EXPECT_FALSE(Owns(s2, doc)) << doc;
  }
}

TEST(OwnershipFilter, MissingKeyIsNull) {
  // Null sorts below strings: a document without the key belongs to the MinKey chunk.
  OwnershipFilter s1 = FilterFor("shop.orders", "shard01");
  EXPECT_TRUE(Owns(s1, R"({"_id": 1})"));
  EXPECT_TRUE(Owns(s1, R"({"customer": null, "orderId": null})"));
}

TEST(OwnershipFilter, HashedKey) {
  // shard01 owns hashes < 0, shard02 hashes >= 0 (fixture bounds +-2^62 merge into two ranges).
  OwnershipFilter s1 = FilterFor("shop.events", "shard01");
  OwnershipFilter s2 = FilterFor("shop.events", "shard02");
  EXPECT_EQ(s1.num_ranges(), 1u);
  EXPECT_EQ(s2.num_ranges(), 1u);
  // hash(42) = -944302157085130861, hash("abc") = 8478485326885698097, hash(null) = 2338878944348059895.
  EXPECT_TRUE(Owns(s1, R"({"userId": 42})"));
  EXPECT_TRUE(Owns(s1, R"({"userId": 42.9})"));
  EXPECT_FALSE(Owns(s2, R"({"userId": {"$numberLong": "42"}})"));
  EXPECT_TRUE(Owns(s2, R"({"userId": "abc"})"));
  EXPECT_TRUE(Owns(s2, R"({"x": 1})"));
  EXPECT_FALSE(Owns(s1, R"({"x": 1})"));
}

TEST(OwnershipFilter, DottedPath) {
  OwnershipFilter s2 = FilterFor("legacy.items", "shard02");  // [MinKey, 1000)
  OwnershipFilter s3 = FilterFor("legacy.items", "shard03");  // [1000, MaxKey)
  EXPECT_TRUE(Owns(s2, R"({"meta": {"sku": 999}})"));
  EXPECT_TRUE(Owns(s3, R"({"meta": {"sku": 1000}})"));
  EXPECT_TRUE(Owns(s3, R"({"meta": {"sku": "A-1"}})"));
  EXPECT_TRUE(Owns(s2, R"({"meta": "flat"})"));  // no sub-document: missing, null
  EXPECT_TRUE(Owns(s2, R"({"meta.sku": 5000})"));  // a field named "meta.sku" is not the path
}

TEST(OwnershipFilter, ExactBoundsAndEmpty) {
  StatusOr<KeyPattern> key = ParseKeyPattern(Bson(R"({"x": 1})"));
  ASSERT_TRUE(key.ok());
  StatusOr<OwnershipFilter> f = OwnershipFilter::Create(
      *key, {{Bson(R"({"x": 10})"), Bson(R"({"x": 20})")}, {Bson(R"({"x": 30})"), Bson(R"({"x": {"$maxKey": 1}})")}});
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(Owns(*f, R"({"x": 9.999})"));
  EXPECT_TRUE(Owns(*f, R"({"x": 10})"));
  EXPECT_TRUE(Owns(*f, R"({"x": 19.5})"));
  EXPECT_FALSE(Owns(*f, R"({"x": 20})"));
  EXPECT_FALSE(Owns(*f, R"({"x": 29})"));
  EXPECT_TRUE(Owns(*f, R"({"x": 30})"));
  EXPECT_TRUE(Owns(*f, R"({"x": "text"})"));
  EXPECT_TRUE(Owns(*f, R"({"x": {"$maxKey": 1}})") == false);  // max is exclusive, even MaxKey
  StatusOr<OwnershipFilter> none = OwnershipFilter::Create(*key, {});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(Owns(*none, R"({"x": 1})"));
  EXPECT_FALSE(OwnershipFilter::Create(*key, {{Bson(R"({"y": 1})"), Bson(R"({"y": 2})")}}).ok());
}

TEST(OwnershipFilter, LocalClusterSentinelBounds) {
  ConfigDocuments docs;
  docs.shards = LoadFixture("local_config_shards.json");
  docs.collections = LoadFixture("local_config_collections.json");
  docs.chunks = LoadFixture("local_config_chunks.json");
  StatusOr<Topology> t = BuildTopology("demo.words", docs);
  ASSERT_TRUE(t.ok());
  StatusOr<OwnershipFilter> s0 = OwnershipFilter::Create(t->key, {{t->chunks[0].min, t->chunks[0].max}});
  ASSERT_TRUE(s0.ok());
  EXPECT_TRUE(Owns(*s0, R"({"k": 42})"));    // negative hash
  EXPECT_FALSE(Owns(*s0, R"({"k": "abc"})"));  // positive hash
}

}  // namespace
}  // namespace aviary::mongo
