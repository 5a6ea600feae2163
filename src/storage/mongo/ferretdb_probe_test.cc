// Probes FerretDB behaviour that this module relies on (collection names with dots, rename with
// dropTarget, sentinel bound documents, queries on a missing config database).
#include <gtest/gtest.h>

#include "storage/mongo/handles.h"
#include "storage/mongo/queries.h"
#include "storage/mongo/test_fixtures.h"
#include "storage/mongo/test_shardserver.h"

namespace aviary::mongo {
namespace {

using testing::Bson;

class FerretDbProbe : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing::ShardServer::Start();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    auto c = Client::Connect(server_->uri());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(c).value();
  }
  void Insert(const std::string& db, const std::string& coll, const std::string& json) {
    CollectionPtr c(mongoc_client_get_collection(client_->get(), db.c_str(), coll.c_str()));
    const std::string doc = Bson(json);
    BsonView view(doc);
    bson_error_t error;
    ASSERT_TRUE(mongoc_collection_insert_one(c.get(), view.get(), nullptr, nullptr, &error)) << error.message;
  }
  std::unique_ptr<testing::ShardServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(FerretDbProbe, Behaviour) {
  StatusOr<std::vector<std::string>> none = FindAll(client_.get(), "config", "collections", nullptr);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  Insert("out", "aviary_tmp_job-20261127-034000-1abcd_p0_a1", R"({"_id": "k", "value": 1})");
  Insert("out", "target", R"({"_id": "old", "value": 1})");
  StatusOr<std::vector<std::string>> names = ListCollectionsWithPrefix(client_.get(), "out", "aviary_tmp_");
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(names->size(), 1u);
  Status s = RenameCollection(client_.get(), "out", "aviary_tmp_job-20261127-034000-1abcd_p0_a1", "target", true);
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented) << s.ToString();  // FerretDB: no dropTarget
  s = RenameCollection(client_.get(), "out", "aviary_tmp_job-20261127-034000-1abcd_p0_a1", "target", false);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  ASSERT_TRUE(DropCollection(client_.get(), "out", "target").ok());
  s = RenameCollection(client_.get(), "out", "aviary_tmp_job-20261127-034000-1abcd_p0_a1", "target", false);
  EXPECT_TRUE(s.ok()) << s.ToString();
  auto docs = FindAll(client_.get(), "out", "target", nullptr);
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 1u);
  Insert("config", "chunks", R"({"ns": "a.b", "min": {"k": {"aviary": "minKey"}}, "max": {"k": {"$numberLong": "5"}}})");
  Insert("config", "chunks", R"({"uuid": {"$binary": {"base64": "OyQRAeK7QlWMr0E2xWapYg==", "subType": "04"}}, "n": 1})");
  ScopedBson by_uuid;
  const uint8_t raw[16] = {0x3b, 0x24, 0x11, 0x01, 0xe2, 0xbb, 0x42, 0x55, 0x8c, 0xaf, 0x41, 0x36, 0xc5, 0x66, 0xa9, 0x62};
  bson_append_binary(by_uuid.get(), "uuid", 4, BSON_SUBTYPE_UUID, raw, 16);
  auto chunks = FindAll(client_.get(), "config", "chunks", by_uuid.get());
  ASSERT_TRUE(chunks.ok()) << chunks.status().ToString();
  EXPECT_EQ(chunks->size(), 1u);
  StatusOr<bool> mongos = IsMongos(client_.get());
  ASSERT_TRUE(mongos.ok());
  EXPECT_FALSE(*mongos);
  EXPECT_TRUE(DropCollection(client_.get(), "out", "never-existed").ok());
}

}  // namespace
}  // namespace aviary::mongo
