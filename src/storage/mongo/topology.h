// The sharding topology of one collection, read from the cluster's metadata.
//
// Sources (the same documents either way): the config database reached through the entry URI,
// which is a mongos of a real cluster or the config server of Aviary's local cluster:
//   config.shards       {_id: name, host: "rs/h1:p1,h2:p2" | "h:p"}
//   config.collections  {_id: "db.coll", uuid, key: {...}, dropped?}
//   config.chunks       {uuid (5.0+) | ns (before 5.0), min, max, shard}
//   config.databases    {_id: db, primary: shard}   (where an unsharded collection lives)
// A collection without a config.collections entry (or a server without a config database) is
// unsharded.
//
// Thread safety: plain values; ReadTopology uses its Client from the calling thread.
#ifndef AVIARY_STORAGE_MONGO_TOPOLOGY_H_
#define AVIARY_STORAGE_MONGO_TOPOLOGY_H_

#include <string>
#include <vector>

#include "common/status.h"
#include "storage/mongo/key_pattern.h"
#include "storage/mongo/mongo_client.h"

namespace aviary::mongo {

struct ShardInfo {
  std::string name;
  std::string host;  // as in config.shards: "rsName/h1:p1,h2:p2" or "h:p"
};

// [min, max) of the shard key, owned by `shard`. Bounds are normalised (see key_pattern.h).
struct Chunk {
  std::string min;
  std::string max;
  std::string shard;
};

struct Topology {
  std::string ns;  // "db.coll"
  bool sharded = false;
  KeyPattern key;               // sharded only
  std::vector<Chunk> chunks;    // sharded only; sorted by min, contiguous from MinKey to MaxKey
  std::vector<ShardInfo> shards;  // every shard of the cluster (empty when there is no config data)
  std::string primary_shard;    // unsharded: the database's primary shard, if the config data names one
  bool entry_is_mongos = false;

  // The shard named `name`, or null.
  const ShardInfo* FindShard(const std::string& name) const;
};

// The documents of the config collections that concern one namespace (fixtures in tests, query
// results in ReadTopology). Each entry is one document's BSON bytes.
struct ConfigDocuments {
  std::vector<std::string> collections;  // config.collections; those for other namespaces are ignored
  std::vector<std::string> chunks;       // config.chunks; those of other collections are ignored
  std::vector<std::string> shards;       // config.shards
  std::vector<std::string> databases;    // config.databases
};

// Builds the topology of `ns` from config documents. FailedPrecondition when the metadata is
// inconsistent (chunks naming unknown shards, gaps or overlaps between chunks, no chunks).
StatusOr<Topology> BuildTopology(const std::string& ns, const ConfigDocuments& docs);

// Parses one config.shards document.
StatusOr<ShardInfo> ParseShard(std::string_view bson);

// A mongodb:// URI for a shard's `host` string: "rs/h1:p1,h2:p2" becomes
// "mongodb://h1:p1,h2:p2/?replicaSet=rs". Credentials and connection options (tls, authSource...)
// are taken over from `entry_server_uri`; replicaSet and directConnection are not.
std::string ShardUri(const std::string& host, const std::string& entry_server_uri);

// The version of what map splits rely on: whether db.coll is sharded, its key and every chunk's
// bounds and shard (or, unsharded, its primary shard). "N chunks, version HEX": equal exactly
// when nothing of that changed (a chunk moved, split or merged; the collection resharded).
std::string LayoutVersion(const Topology& topology);

// Reads the topology of db.coll through `entry` (connected to entry_server_uri).
StatusOr<Topology> ReadTopology(Client* entry, const std::string& database, const std::string& collection);

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_TOPOLOGY_H_
