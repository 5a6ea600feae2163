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

#include <memory>
#include <vector>

#include "common/status.h"
#include "storage/mongo/mongo_client.h"

namespace aviary::gateway::router {

class ShardClients;

// A client taken from ShardClients, given back when this goes away.
class PooledClient {
 public:
  PooledClient(ShardClients* owner, std::string uri, std::unique_ptr<mongo::Client> client)
      : owner_(owner), uri_(std::move(uri)), client_(std::move(client)) {}
  PooledClient(PooledClient&&) = default;
  PooledClient(const PooledClient&) = delete;
  PooledClient& operator=(const PooledClient&) = delete;
  ~PooledClient();
  mongoc_client_t* get() const { return client_->get(); }

 private:
  ShardClients* owner_;  // not owned; outlives this
  std::string uri_;
  std::unique_ptr<mongo::Client> client_;
};

// Idle single-threaded clients per URI. Not mongoc_client_pool_t: a pool monitors its servers
// with streaming (awaitable) hello, which FerretDB v1.24 answers with a panic.
class ShardClients {
 public:
  ShardClients() = default;
  ShardClients(const ShardClients&) = delete;
  ShardClients& operator=(const ShardClients&) = delete;

  // An idle client of `uri`, or a new connection. Unavailable when the server does not answer.
  StatusOr<PooledClient> Get(const std::string& uri);

 private:
  friend class PooledClient;
  void Give(const std::string& uri, std::unique_ptr<mongo::Client> client);

  std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<mongo::Client>>> idle_;  // guarded by mu_
};

}  // namespace aviary::gateway::router

#endif  // AVIARY_GATEWAY_ROUTER_SHARD_CLIENTS_H_
