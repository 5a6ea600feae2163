#include "gateway/router/route.h"

#include "storage/mongo/handles.h"

namespace aviary::gateway::router {

StatusOr<Route> Route::Create(std::shared_ptr<const mongo::Topology> topology) {
  Route route(std::move(topology));
  const mongo::Topology& t = *route.topology_;
  for (const mongo::ShardInfo& shard : t.shards) {
    std::vector<mongo::ChunkBounds> owned;
    for (const mongo::Chunk& c : t.chunks) {
      if (c.shard == shard.name) owned.push_back({c.min, c.max});
    }
    ASSIGN_OR_RETURN(mongo::OwnershipFilter filter, mongo::OwnershipFilter::Create(t.key, owned));
    route.owners_.push_back(std::move(filter));
  }
  return route;
}

bool Route::Owns(size_t shard, std::string_view doc) { return owners_[shard].Owns(doc.data(), doc.size()); }

int Route::ShardOf(std::string_view doc) {
  for (size_t i = 0; i < owners_.size(); ++i) {
    if (Owns(i, doc)) return static_cast<int>(i);
  }
  return -1;
}

bool AppendEquality(const bson_t* query, const std::string& field, bson_t* out) {
  if (field.find('.') != std::string::npos) return false;
  bson_iter_t it;
  if (!bson_iter_init_find(&it, query, field.c_str())) return false;
  if (BSON_ITER_HOLDS_REGEX(&it)) return false;  // a pattern, not a value
  if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
    bson_iter_t inner;
    if (!bson_iter_recurse(&it, &inner) || !bson_iter_next(&inner)) return bson_append_iter(out, field.c_str(), -1, &it);
    const std::string op = bson_iter_key(&inner);
    if (op.empty() || op[0] != '$') return bson_append_iter(out, field.c_str(), -1, &it);  // an embedded document
    bson_iter_t after = inner;
    if (op != "$eq" || bson_iter_next(&after)) return false;  // other operators match ranges
    return bson_append_iter(out, field.c_str(), -1, &inner);
  }
  return bson_append_iter(out, field.c_str(), -1, &it);
}

int Route::ShardOfQuery(const bson_t* query) {
  mongo::ScopedBson key;
  for (const std::string& field : topology_->key.fields) {
    if (!AppendEquality(query, field, key.get())) return -1;
  }
  return ShardOf(key.bytes());
}

std::vector<std::string> Route::KeyTopFields() const {
  std::vector<std::string> out;
  for (const std::string& f : topology_->key.fields) out.push_back(f.substr(0, f.find('.')));
  return out;
}

}  // namespace aviary::gateway::router
