#include "gateway/router/shard_clients.h"

#include "storage/mongo/handles.h"
#include "storage/mongo/mongo_client.h"

namespace aviary::gateway::router {

ShardClients::~ShardClients() {
  for (auto& [uri, pool] : pools_) mongoc_client_pool_destroy(pool);
}

StatusOr<PooledClient> ShardClients::Get(const std::string& uri) {
  mongo::InitDriver();
  mongoc_client_pool_t* pool = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pools_.find(uri);
    if (it == pools_.end()) {
      bson_error_t error;
      mongo::UriPtr parsed(mongoc_uri_new_with_error(uri.c_str(), &error));
      if (!parsed) return InvalidArgument("bad server URI " + mongo::RedactUri(uri) + ": " + error.message);
      mongoc_uri_set_option_as_int32(parsed.get(), MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000);
      pool = mongoc_client_pool_new(parsed.get());
      mongoc_client_pool_set_error_api(pool, MONGOC_ERROR_API_VERSION_2);
      it = pools_.emplace(uri, pool).first;
    }
    pool = it->second;
  }
  return PooledClient(pool, mongoc_client_pool_pop(pool));
}

}  // namespace aviary::gateway::router
