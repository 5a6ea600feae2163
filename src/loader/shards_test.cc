#include "loader/shards.h"

#include <gtest/gtest.h>

#include "loader/load_writer.h"

namespace aviary::loader {
namespace {

// The loader reaches each shard with the entry's credentials and options (one implementation,
// storage/mongo's ShardUri); a shard URI without them would fail authentication.
TEST(LoadTarget, ShardUriKeepsTheEntrysCredentials) {
  LoadTarget target{"mongos:27017", "db", "coll", "mongodb://loader:secret@mongos:27017/?authSource=admin"};
  EXPECT_EQ(target.ShardUri({"shard0", "127.0.0.1:27018"}),
            "mongodb://loader:secret@127.0.0.1:27018/?authSource=admin");
  EXPECT_EQ(target.ShardUri({"shard1", "rs1/a:1,b:2"}),
            "mongodb://loader:secret@a:1,b:2/?authSource=admin&replicaSet=rs1");
  LoadTarget plain{"127.0.0.1:9", "db", "coll", "mongodb://127.0.0.1:9/"};
  EXPECT_EQ(plain.ShardUri({"shard0", "127.0.0.1:10"}), "mongodb://127.0.0.1:10/");
}

TEST(HostOfUri, NamesTheServerWithoutCredentials) {
  EXPECT_EQ(HostOfUri("mongodb://loader:secret@mongos:27017/?authSource=admin"), "mongos:27017");
  EXPECT_EQ(HostOfUri("mongodb://127.0.0.1:9/"), "127.0.0.1:9");
  EXPECT_EQ(HostOfUri("127.0.0.1:9"), "127.0.0.1:9");
}

}  // namespace
}  // namespace aviary::loader
