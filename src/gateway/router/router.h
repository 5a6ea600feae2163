// `aviary gateway --route-by-chunks CONFIG_URI`: the gateway as the local cluster's mongos.
// CRUD commands on a sharded collection are answered from the shards, routed by the chunk table
// in the config server: insert, update and delete go to the shard that owns the shard key (a
// statement whose query does not pin the key is applied to the owned matches of each shard);
// find, count, distinct and aggregate are scattered to every shard, orphans dropped and the
// results merged exactly (sort, skip, limit, $group partials). Everything else (unsharded
// collections, other commands) is the relay's, to the config server. For Aviary's local cluster
// only: against a real cluster the upstream mongos routes. See docs/gateway.md.
//
// Thread safety: thread-safe; every connection thread calls Serve.
#ifndef AVIARY_GATEWAY_ROUTER_ROUTER_H_
#define AVIARY_GATEWAY_ROUTER_ROUTER_H_

#include <bson/bson.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"
#include "gateway/router/cursors.h"
#include "gateway/router/shard_clients.h"
#include "gateway/wire.h"
#include "storage/mongo/mongo_client.h"
#include "storage/mongo/topology.h"

namespace aviary::gateway::router {

class Router {
 public:
  // `config_uri`: mongodb://HOST:PORT/ of the config server. Unavailable when it does not answer.
  static StatusOr<std::unique_ptr<Router>> Create(const std::string& config_uri);

  // Whether the command is the router's (a CRUD command on a sharded collection, or a getMore or
  // killCursors of the router's cursors); if so its reply is appended to the empty `reply`.
  // `frame` is the whole OP_MSG the command came in (for its document sequences).
  bool Serve(const Command& command, std::string_view frame, bson_t* reply);

 private:
  Router(std::string config_uri, std::unique_ptr<mongo::Client> config)
      : config_uri_(std::move(config_uri)), config_(std::move(config)) {}

  // The topology of db.coll, read at most once a second (a reload through `aviary load`
  // is seen within that). Null when the collection is not sharded or cannot be read.
  std::shared_ptr<const mongo::Topology> Lookup(const std::string& db, const std::string& coll);
  bool ServeCursorCommand(const Command& command, bson_t* reply);

  const std::string config_uri_;
  ShardClients clients_;
  Cursors cursors_;

  struct Cached {
    std::shared_ptr<const mongo::Topology> topology;  // null: not sharded
    std::chrono::steady_clock::time_point read;
  };
  std::mutex mu_;
  std::unique_ptr<mongo::Client> config_;  // guarded by mu_
  std::map<std::string, Cached> cache_;    // by namespace; guarded by mu_
};

}  // namespace aviary::gateway::router

#endif  // AVIARY_GATEWAY_ROUTER_ROUTER_H_
