// What `aviary load` writes: the sharding metadata in the entry's config database (config.collections,
// config.chunks, as MongoDB 5.0+ lays them out) and the documents on the shards that own them.
//
// Thread safety: each function uses only the client it is given or creates; InsertIntoShard may
// run on several threads at once.
#ifndef AVIARY_LOADER_LOAD_WRITER_H_
#define AVIARY_LOADER_LOAD_WRITER_H_

#include <mongoc/mongoc.h>

#include <string>
#include <vector>

#include "common/status.h"
#include "loader/load_chunks.h"
#include "loader/load_input.h"
#include "storage/mongo/topology.h"

namespace aviary::loader {

struct LoadTarget {
  std::string entry;  // "HOST:PORT" of the entry, for messages
  std::string database;
  std::string collection;
  std::string entry_uri;  // mongodb://[USER:PASS@]HOST:PORT/[?OPTIONS]: how the entry is reached

  std::string ns() const { return database + "." + collection; }
  // How to reach `shard` directly: its hosts, with the entry's credentials and options.
  std::string ShardUri(const mongo::ShardInfo& shard) const { return mongo::ShardUri(shard.host, entry_uri); }
};

// Removes an earlier load of the namespace: the collection on every shard and on the entry, its
// chunks and its config.collections entry. Returns whether the namespace was sharded before.
StatusOr<bool> DropPreviousLoad(mongoc_client_t* entry, const LoadTarget& target, const std::vector<mongo::ShardInfo>& shards);

// Records config.collections {_id: ns, uuid, key, unique: false, ...} and one config.chunks
// document per chunk of `plan` ({_id, uuid, min, max, shard, lastmod}).
Status WriteMetadata(mongoc_client_t* entry, const LoadTarget& target, const ChunkPlan& plan,
                     const std::vector<mongo::ShardInfo>& shards);

// Creates the collection on `shard` and inserts documents `indices` of `docs` in unordered
// batches of 100. Errors name the shard and, for a rejected document, where it came from.
Status InsertIntoShard(const mongo::ShardInfo& shard, const LoadTarget& target, const DocumentSet& docs,
                       const std::vector<size_t>& indices);

}  // namespace aviary::loader

#endif  // AVIARY_LOADER_LOAD_WRITER_H_
