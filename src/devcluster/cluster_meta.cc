#include "devcluster/cluster_meta.h"

#include "storage/mongo/handles.h"
#include "storage/mongo/mongo_client.h"

namespace aviary::devcluster {
namespace {

using mongo::CollectionPtr;
using mongo::ScopedBson;
using mongo::ShardInfo;

CollectionPtr ShardsCollection(mongoc_client_t* client) {
  return CollectionPtr(mongoc_client_get_collection(client, "config", "shards"));
}

Status UpsertShard(mongoc_collection_t* shards, const std::string& entry, const ShardInfo& shard) {
  ScopedBson selector, update, fields, opts;
  BSON_APPEND_UTF8(selector.get(), "_id", shard.name.c_str());
  BSON_APPEND_UTF8(fields.get(), "host", shard.host.c_str());
  BSON_APPEND_DOCUMENT(update.get(), "$set", fields.get());
  BSON_APPEND_BOOL(opts.get(), "upsert", true);
  bson_error_t error;
  if (!mongoc_collection_update_one(shards, selector.get(), update.get(), opts.get(), nullptr, &error)) {
    return mongo::StatusFromBsonError(error, "recording shard " + shard.name + " in config.shards at " + entry);
  }
  return Status::OK();
}

Status RemoveOtherShards(mongoc_collection_t* shards, const std::string& entry, const std::vector<ShardInfo>& keep) {
  ScopedBson selector, cond, names;
  for (size_t i = 0; i < keep.size(); ++i) {
    BSON_APPEND_UTF8(names.get(), std::to_string(i).c_str(), keep[i].name.c_str());
  }
  BSON_APPEND_ARRAY(cond.get(), "$nin", names.get());
  BSON_APPEND_DOCUMENT(selector.get(), "_id", cond.get());
  bson_error_t error;
  if (!mongoc_collection_delete_many(shards, selector.get(), nullptr, nullptr, &error)) {
    return mongo::StatusFromBsonError(error, "cleaning config.shards at " + entry);
  }
  return Status::OK();
}

}  // namespace

Status RegisterShards(mongoc_client_t* client, const std::string& entry, const std::vector<ShardInfo>& shards) {
  CollectionPtr coll = ShardsCollection(client);
  for (const ShardInfo& shard : shards) RETURN_IF_ERROR(UpsertShard(coll.get(), entry, shard));
  return RemoveOtherShards(coll.get(), entry, shards);
}

}  // namespace aviary::devcluster
