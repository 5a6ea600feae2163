// The shards the loader writes to, as the entry's config.shards lists them (storage/mongo's one
// ShardInfo type), and how it reaches each one.
//
// Thread safety: functions take the client they use; a client is used by one thread at a time.
#ifndef AVIARY_LOADER_SHARDS_H_
#define AVIARY_LOADER_SHARDS_H_

#include <mongoc/mongoc.h>

#include <string>
#include <vector>

#include "common/status.h"
#include "storage/mongo/topology.h"

namespace aviary::loader {

// The shards in config.shards, ordered by name length then name (shard2 before shard10);
// documents without a string _id and host are skipped. `entry` names the server in messages.
// FailedPrecondition "no shards registered at ENTRY (...)" when there are none.
StatusOr<std::vector<mongo::ShardInfo>> ReadShards(mongoc_client_t* client, const std::string& entry);

// "HOST:PORT" of a "mongodb://[USER@]HOST:PORT/..." URI, for messages (never the credentials).
std::string HostOfUri(const std::string& uri);

}  // namespace aviary::loader

#endif  // AVIARY_LOADER_SHARDS_H_
