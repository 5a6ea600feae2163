// The sharding metadata a local cluster keeps in its config server (the entry point), laid out as
// MongoDB 5.0+ does: config.shards {_id: name, host: "HOST:PORT"}.
//
// Thread safety: functions take the client they use; a client is used by one thread at a time.
#ifndef AVIARY_CLI_CLUSTER_META_H_
#define AVIARY_CLI_CLUSTER_META_H_

#include <mongoc/mongoc.h>

#include <string>
#include <vector>

#include "common/status.h"

namespace aviary::cli {

struct ShardInfo {
  std::string name;
  std::string host;  // as stored: "HOST:PORT" or "rsName/HOST:PORT,HOST:PORT"
  std::string uri;   // mongodb:// URI that reaches the shard directly
};

// Makes config.shards list exactly `shards` (upserts their hosts, removes other entries).
// `entry` names the server for messages.
Status RegisterShards(mongoc_client_t* client, const std::string& entry, const std::vector<ShardInfo>& shards);

// The shards in config.shards, ordered by name length then name (shard2 before shard10).
// FailedPrecondition "no shards registered at ENTRY (...)" when there are none.
StatusOr<std::vector<ShardInfo>> ReadShards(mongoc_client_t* client, const std::string& entry);

// "mongodb://HOST:PORT/" for a config.shards host ("rs/h1,h2" becomes "mongodb://h1,h2/?replicaSet=rs").
std::string ShardUriFromHost(const std::string& host);

// "HOST:PORT" of a "mongodb://HOST:PORT/..." URI, for messages.
std::string HostOfUri(const std::string& uri);

}  // namespace aviary::cli

#endif  // AVIARY_CLI_CLUSTER_META_H_
