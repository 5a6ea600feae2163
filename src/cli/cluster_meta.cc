#include "cli/cluster_meta.h"

#include <algorithm>

#include "storage/mongo/handles.h"
#include "storage/mongo/mongo_client.h"

namespace aviary::cli {
namespace {

using mongo::CollectionPtr;
using mongo::CursorPtr;
using mongo::ScopedBson;

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

std::string Utf8Field(const bson_t* doc, const char* field) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, doc, field) || !BSON_ITER_HOLDS_UTF8(&it)) return "";
  return bson_iter_utf8(&it, nullptr);
}

bool ShardNameLess(const ShardInfo& a, const ShardInfo& b) {
  return a.name.size() != b.name.size() ? a.name.size() < b.name.size() : a.name < b.name;
}

}  // namespace

Status RegisterShards(mongoc_client_t* client, const std::string& entry, const std::vector<ShardInfo>& shards) {
  CollectionPtr coll = ShardsCollection(client);
  for (const ShardInfo& shard : shards) RETURN_IF_ERROR(UpsertShard(coll.get(), entry, shard));
  return RemoveOtherShards(coll.get(), entry, shards);
}

StatusOr<std::vector<ShardInfo>> ReadShards(mongoc_client_t* client, const std::string& entry) {
  CollectionPtr coll = ShardsCollection(client);
  ScopedBson filter;
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), nullptr, nullptr));
  std::vector<ShardInfo> shards;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    ShardInfo shard{Utf8Field(doc, "_id"), Utf8Field(doc, "host"), ""};
    if (shard.name.empty() || shard.host.empty()) continue;
    shard.uri = ShardUriFromHost(shard.host);
    shards.push_back(std::move(shard));
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return mongo::StatusFromBsonError(error, "reading config.shards at " + entry);
  }
  if (shards.empty()) {
    return FailedPrecondition("no shards registered at " + entry + " (is it the entry of an aviary cluster?)");
  }
  std::sort(shards.begin(), shards.end(), ShardNameLess);
  return shards;
}

std::string ShardUriFromHost(const std::string& host) {
  const size_t slash = host.find('/');
  if (slash == std::string::npos) return "mongodb://" + host + "/";
  return "mongodb://" + host.substr(slash + 1) + "/?replicaSet=" + host.substr(0, slash);
}

std::string HostOfUri(const std::string& uri) {
  const size_t scheme = uri.find("://");
  const size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t end = uri.find_first_of("/?", start);
  std::string host = uri.substr(start, end == std::string::npos ? std::string::npos : end - start);
  const size_t at = host.rfind('@');
  return at == std::string::npos ? host : host.substr(at + 1);
}

}  // namespace aviary::cli
