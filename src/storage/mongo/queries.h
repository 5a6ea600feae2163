// Small blocking MongoDB operations shared by the input and output formats. Each returns a Status
// naming the namespace and the (redacted) server.
//
// Thread safety: as the Client (one thread at a time).
#ifndef AVIARY_STORAGE_MONGO_QUERIES_H_
#define AVIARY_STORAGE_MONGO_QUERIES_H_

#include <mongoc/mongoc.h>

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/mongo/mongo_client.h"

namespace aviary::mongo {

// Every document of db.coll matching `filter` (null: all), as BSON bytes. For small metadata
// collections only: everything is held in memory.
StatusOr<std::vector<std::string>> FindAll(Client* client, const std::string& db, const std::string& coll,
                                           const bson_t* filter);

// Whether db.coll exists (listCollections; works through mongos and on FerretDB).
StatusOr<bool> CollectionExists(Client* client, const std::string& db, const std::string& coll);

// Whether db.coll holds at least one document.
StatusOr<bool> CollectionHasDocuments(Client* client, const std::string& db, const std::string& coll);

// How many documents db.coll holds. `exact`: the count command (FerretDB reads every document
// for it: ~2.7 s per 100,000); else collStats' count, from the storage engine's own bookkeeping
// (FerretDB on SQLite: ~60 ms whatever the size).
StatusOr<int64_t> CountDocuments(Client* client, const std::string& db, const std::string& coll, bool exact);

// Names of the collections of `db` that start with `prefix`.
StatusOr<std::vector<std::string>> ListCollectionsWithPrefix(Client* client, const std::string& db,
                                                             const std::string& prefix);

// Drops db.coll; OK when it does not exist.
Status DropCollection(Client* client, const std::string& db, const std::string& coll);

// Renames db.from to db.to. With `drop_target`, an existing db.to is replaced in one atomic step
// (MongoDB); FerretDB answers Unimplemented for that.
Status RenameCollection(Client* client, const std::string& db, const std::string& from, const std::string& to,
                        bool drop_target);

// True when the server is a mongos (hello answers msg: "isdbgrid").
StatusOr<bool> IsMongos(Client* client);

// What a shard server of a sharded cluster knows of its place: MongoDB keeps it in
// admin.system.version {_id: "shardIdentity", shardName, configsvrConnectionString}, and
// `aviary cluster up` writes the same on its shard servers.
struct ShardIdentity {
  std::string shard_name;
  std::string config_server;  // configsvrConnectionString, e.g. "configRS/h:p" or "h:p"
};

// The server's shard identity, or nullopt when it is not a shard (or the user may not read admin).
StatusOr<std::optional<ShardIdentity>> ReadShardIdentity(Client* client);

// Records `identity` on the shard server `client` talks to (for local clusters).
Status WriteShardIdentity(Client* client, const ShardIdentity& identity);

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_QUERIES_H_
