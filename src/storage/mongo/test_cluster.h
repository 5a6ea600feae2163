// Test helpers over live servers: inserting extended-JSON documents, reading collections back,
// and laying out a sharded collection by hand (config documents on a config server in the local
// cluster's FerretDB form, documents on the shards).
#ifndef AVIARY_STORAGE_MONGO_TEST_CLUSTER_H_
#define AVIARY_STORAGE_MONGO_TEST_CLUSTER_H_

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "storage/mongo/handles.h"
#include "storage/mongo/key_pattern.h"
#include "storage/mongo/mongo_client.h"
#include "storage/mongo/queries.h"
#include "storage/mongo/test_fixtures.h"
#include "storage/mongo/test_shardserver.h"

namespace aviary::mongo::testing {

inline std::unique_ptr<Client> MustConnect(const std::string& uri) {
  StatusOr<std::unique_ptr<Client>> c = Client::Connect(uri);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : nullptr;
}

// Inserts BSON documents into db.coll in one unordered bulk.
inline void InsertBson(const std::string& uri, const std::string& ns, const std::vector<std::string>& docs) {
  if (docs.empty()) return;
  std::unique_ptr<Client> client = MustConnect(uri);
  ASSERT_NE(client, nullptr);
  const size_t dot = ns.find('.');
  CollectionPtr c(mongoc_client_get_collection(client->get(), ns.substr(0, dot).c_str(), ns.substr(dot + 1).c_str()));
  for (size_t start = 0; start < docs.size(); start += 1000) {
    ScopedBson opts;
    BSON_APPEND_BOOL(opts.get(), "ordered", false);
    BulkPtr bulk(mongoc_collection_create_bulk_operation_with_opts(c.get(), opts.get()));
    for (size_t i = start; i < docs.size() && i < start + 1000; ++i) {
      BsonView v(docs[i]);
      mongoc_bulk_operation_insert(bulk.get(), v.get());
    }
    ScopedBson reply;
    bson_error_t error;
    ASSERT_NE(mongoc_bulk_operation_execute(bulk.get(), reply.get(), &error), 0u) << error.message;
  }
}

inline void Insert(const std::string& uri, const std::string& ns, const std::vector<std::string>& json_docs) {
  std::vector<std::string> docs;
  for (const std::string& j : json_docs) docs.push_back(Bson(j));
  InsertBson(uri, ns, docs);
}

// Every document of db.coll, as canonical-free relaxed JSON, keyed by its _id's JSON.
inline std::map<std::string, std::string> ReadAll(const std::string& uri, const std::string& ns) {
  std::unique_ptr<Client> client = MustConnect(uri);
  std::map<std::string, std::string> out;
  if (!client) return out;
  const size_t dot = ns.find('.');
  StatusOr<std::vector<std::string>> docs = FindAll(client.get(), ns.substr(0, dot), ns.substr(dot + 1), nullptr);
  EXPECT_TRUE(docs.ok()) << docs.status().ToString();
  if (!docs.ok()) return out;
  for (const std::string& d : *docs) {
    BsonView v(d);
    bson_iter_t it;
    std::string id = "?";
    if (bson_iter_init_find(&it, v.get(), "_id")) {
      ScopedBson just_id;
      bson_append_iter(just_id.get(), "_id", 3, &it);
      id = BsonToShortJson(std::string(just_id.bytes()));
    }
    out[id] = BsonToShortJson(d);
  }
  return out;
}

inline std::vector<std::string> Collections(const std::string& uri, const std::string& db) {
  std::unique_ptr<Client> client = MustConnect(uri);
  StatusOr<std::vector<std::string>> names = ListCollectionsWithPrefix(client.get(), db, "");
  EXPECT_TRUE(names.ok()) << names.status().ToString();
  return names.ok() ? *names : std::vector<std::string>();
}

// A hand-made cluster: one config server and `n` shards named s0, s1, ...
class MiniCluster {
 public:
  explicit MiniCluster(int shards) {
    config_ = Start();
    for (int i = 0; i < shards; ++i) shards_.push_back(Start());
    std::vector<std::string> docs;
    for (int i = 0; i < shards; ++i) {
      docs.push_back(R"({"_id": "s)" + std::to_string(i) + R"(", "host": ")" + shards_[i]->host() + R"("})");
    }
    Insert(config_->uri(), "config.shards", docs);
  }
  const std::string& config_uri() const { return config_->uri(); }
  const std::string& shard_uri(int i) const { return shards_[i]->uri(); }

  // Shards `ns` with `key_json` and chunks {min_json, max_json, shard index}; MinKey/MaxKey as
  // the local cluster's sentinel documents.
  struct ChunkSpec {
    std::string min, max;
    int shard;
  };
  void Shard(const std::string& ns, const std::string& key_json, const std::vector<ChunkSpec>& chunks) {
    Insert(config_uri(), "config.collections", {R"({"_id": ")" + ns + R"(", "key": )" + key_json + "}"});
    std::vector<std::string> docs;
    for (const ChunkSpec& c : chunks) {
      docs.push_back(R"({"ns": ")" + ns + R"(", "min": )" + c.min + R"(, "max": )" + c.max + R"(, "shard": "s)" +
                     std::to_string(c.shard) + R"("})");
    }
    Insert(config_uri(), "config.chunks", docs);
  }

 private:
  static std::unique_ptr<ShardServer> Start() {
    StatusOr<std::unique_ptr<ShardServer>> s = ShardServer::Start();
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  std::unique_ptr<ShardServer> config_;
  std::vector<std::unique_ptr<ShardServer>> shards_;
};

}  // namespace aviary::mongo::testing

#endif  // AVIARY_STORAGE_MONGO_TEST_CLUSTER_H_
