#include "storage/mongo/mongo_client.h"

#include <gtest/gtest.h>

namespace aviary::mongo {
namespace {

TEST(ParseCollectionUri, Basic) {
  StatusOr<CollectionUri> u = ParseCollectionUri("mongodb://127.0.0.1:27017/shop.orders");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->server_uri, "mongodb://127.0.0.1:27017/");
  EXPECT_EQ(u->database, "shop");
  EXPECT_EQ(u->collection, "orders");
}

TEST(ParseCollectionUri, DottedCollectionAndOptions) {
  StatusOr<CollectionUri> u = ParseCollectionUri("mongodb://h1:1,h2:2/db.a.b.c?replicaSet=rs0&w=majority");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->server_uri, "mongodb://h1:1,h2:2/?replicaSet=rs0&w=majority");
  EXPECT_EQ(u->database, "db");
  EXPECT_EQ(u->collection, "a.b.c");
}

TEST(ParseCollectionUri, CredentialsKeepTheirAuthDatabase) {
  StatusOr<CollectionUri> u = ParseCollectionUri("mongodb://bob:secret@h:1/sales.q1");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->server_uri, "mongodb://bob:secret@h:1/?authSource=sales");
  u = ParseCollectionUri("mongodb://bob:secret@h:1/sales.q1?authSource=admin");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->server_uri, "mongodb://bob:secret@h:1/?authSource=admin");
}

void ExpectInvalid(const std::string& uri, const std::string& words) {
  StatusOr<CollectionUri> u = ParseCollectionUri(uri);
  ASSERT_FALSE(u.ok()) << uri;
  EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(u.status().message().find(words), std::string::npos) << u.status().message();
  EXPECT_EQ(u.status().message().find("secret"), std::string::npos) << "password leaked: " << u.status().message();
}

TEST(ParseCollectionUri, Errors) {
  ExpectInvalid("mongodb://h:1", "names no database and collection");
  ExpectInvalid("mongodb://h:1?x=1", "names no database and collection");
  ExpectInvalid("mongodb://h:1/", "names no database");
  ExpectInvalid("mongodb://h:1/db", "names no collection");
  ExpectInvalid("mongodb://h:1/db.", "names no collection");
  ExpectInvalid("mongodb://u:secret@h:1/db", "names no collection");
  ExpectInvalid("mongodb:///db.c", "names no host");
  ExpectInvalid("mongodb://h:1/d$b.c", "forbids");
  ExpectInvalid("mongodb://h:notaport/db.c", "invalid MongoDB URI");
  ExpectInvalid("http://h/db.c", "is not a MongoDB URI");
}

TEST(CollectionKey, SameCollectionHowEverTheUriIsSpelled) {
  auto key = [](const std::string& uri) { return CollectionKey(*ParseCollectionUri(uri)); };
  const std::string plain = key("mongodb://127.0.0.1:27017/db.coll");
  EXPECT_EQ(key("mongodb://localhost/db.coll"), plain);
  EXPECT_EQ(key("mongodb://user:pw@LOCALHOST:27017/db.coll?authSource=admin"), plain);
  EXPECT_EQ(key("mongodb://h2:2,h1:1/db.coll"), key("mongodb://h1:1,h2:2/db.coll"));
  EXPECT_NE(key("mongodb://127.0.0.1:27017/db.other"), plain);
  EXPECT_NE(key("mongodb://127.0.0.1:27017/other.coll"), plain);
  EXPECT_NE(key("mongodb://127.0.0.1:27018/db.coll"), plain);
}

TEST(RedactUri, ReplacesPasswordOnly) {
  EXPECT_EQ(RedactUri("mongodb://bob:secret@h:1/db.c"), "mongodb://bob:***@h:1/db.c");
  EXPECT_EQ(RedactUri("mongodb://bob@h:1/db.c"), "mongodb://bob@h:1/db.c");
  EXPECT_EQ(RedactUri("mongodb://h:1/db.c?x=a@b"), "mongodb://h:1/db.c?x=a@b");
  EXPECT_EQ(RedactUri("mongodb+srv://u:p%40ss@cluster.example.com/"), "mongodb+srv://u:***@cluster.example.com/");
  EXPECT_EQ(RedactUri("mongodb://u:p@ss@h:1"), "mongodb://u:***@h:1");
}

TEST(Client, UnreachableServerIsUnavailable) {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  StatusOr<std::unique_ptr<Client>> c = Client::Connect("mongodb://bob:secret@127.0.0.1:1/", 500);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(c.status().message().find("cannot reach mongodb://bob:***@127.0.0.1:1/"), std::string::npos)
      << c.status().message();
}

TEST(Client, BadUriIsInvalidArgument) {
  StatusOr<std::unique_ptr<Client>> c = Client::Connect("mongodb://h:99999999/");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace aviary::mongo
