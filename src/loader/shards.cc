#include "loader/shards.h"

#include <algorithm>

#include "storage/mongo/handles.h"
#include "storage/mongo/mongo_client.h"

namespace aviary::loader {
namespace {

bool ShardNameLess(const mongo::ShardInfo& a, const mongo::ShardInfo& b) {
  return a.name.size() != b.name.size() ? a.name.size() < b.name.size() : a.name < b.name;
}

}  // namespace

StatusOr<std::vector<mongo::ShardInfo>> ReadShards(mongoc_client_t* client, const std::string& entry) {
  mongo::CollectionPtr coll(mongoc_client_get_collection(client, "config", "shards"));
  mongo::ScopedBson filter;
  mongo::CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), nullptr, nullptr));
  std::vector<mongo::ShardInfo> shards;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    StatusOr<mongo::ShardInfo> shard =
        mongo::ParseShard(std::string_view(reinterpret_cast<const char*>(bson_get_data(doc)), doc->len));
    if (shard.ok() && !shard->name.empty()) shards.push_back(std::move(shard).value());
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

std::string HostOfUri(const std::string& uri) {
  const size_t scheme = uri.find("://");
  const size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t end = uri.find_first_of("/?", start);
  std::string host = uri.substr(start, end == std::string::npos ? std::string::npos : end - start);
  const size_t at = host.rfind('@');
  return at == std::string::npos ? host : host.substr(at + 1);
}

}  // namespace aviary::loader
