// Connections from the gateway to the local cluster's servers: one libmongoc client pool per
// server URI, shared by every gateway connection thread.
//
// Thread safety: thread-safe (mongoc_client_pool_t is; the map is guarded).
#ifndef AVIARY_GATEWAY_ROUTER_SHARD_CLIENTS_H_
#define AVIARY_GATEWAY_ROUTER_SHARD_CLIENTS_H_

#include <mongoc/mongoc.h>

#include <map>
#include <mutex>
#include <string>

#include "common/status.h"

namespace aviary::gateway::router {

class ShardClients;

// A client popped from a pool, pushed back when this goes away.
class PooledClient {
 public:
  PooledClient(mongoc_client_pool_t* pool, mongoc_client_t* client) : pool_(pool), client_(client) {}
  PooledClient(PooledClient&& o) noexcept : pool_(o.pool_), client_(o.client_) { o.client_ = nullptr; }
  PooledClient(const PooledClient&) = delete;
  PooledClient& operator=(const PooledClient&) = delete;
  ~PooledClient() {
    if (client_ != nullptr) mongoc_client_pool_push(pool_, client_);
  }
  mongoc_client_t* get() const { return client_; }

 private:
  mongoc_client_pool_t* pool_;  // not owned: ShardClients keeps it
  mongoc_client_t* client_;
};

class ShardClients {
 public:
  ShardClients() = default;
  ShardClients(const ShardClients&) = delete;
  ShardClients& operator=(const ShardClients&) = delete;
  ~ShardClients();

  // A client of `uri`'s pool (created on first use). InvalidArgument for a bad URI.
  StatusOr<PooledClient> Get(const std::string& uri);

 private:
  std::mutex mu_;
  std::map<std::string, mongoc_client_pool_t*> pools_;  // guarded by mu_; owned
};

}  // namespace aviary::gateway::router

#endif  // AVIARY_GATEWAY_ROUTER_SHARD_CLIENTS_H_
