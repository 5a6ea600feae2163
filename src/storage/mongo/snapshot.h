// One cluster time for every shard a job reads (docs/reliability.md, "One point in time across
// shards"). MongoDB 5.0+ serves find with readConcern {level: "snapshot", atClusterTime: T} outside
// transactions; reading every shard at the same T gives a consistent cut, so a document moving
// between shards mid-job is seen exactly once. At planning each shard is probed with a snapshot
// read: a server that honours it names the time it read at (cursor.atClusterTime). When every
// shard does, the job reads at the earliest of those times (each shard has history back to it);
// when one does not (a standalone server, MongoDB before 5.0, FerretDB, which ignores the read
// concern), the shards are read at their own times and the job status says so.
//
// Thread safety: free functions; a Client is used by one thread at a time.
#ifndef AVIARY_STORAGE_MONGO_SNAPSHOT_H_
#define AVIARY_STORAGE_MONGO_SNAPSHOT_H_

#include <mongoc/mongoc.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/mongo/mongo_client.h"

namespace aviary::mongo {

// A BSON Timestamp: seconds and an increment, packed as seconds << 32 | increment (the order
// MongoDB compares them in). 0 is "none".
using ClusterTime = uint64_t;

std::string ClusterTimeText(ClusterTime time);  // "Timestamp(1700000000, 3)"

// What one source said to a snapshot probe.
struct SnapshotProbe {
  std::string source;          // shard name, or the redacted URI of an unsharded read
  std::optional<ClusterTime> time;  // set: the server read at this time
  std::string refusal;         // unset time: why not (the server's error, or that it ignored it)
};

// The cluster time in a reply to a snapshot find (cursor.atClusterTime), or nullopt.
std::optional<ClusterTime> SnapshotTimeOf(const bson_t* reply);

// Probes db.coll on `client`'s server. Never fails: an error becomes the probe's refusal.
SnapshotProbe ProbeSnapshot(Client* client, const std::string& source, const std::string& db, const std::string& coll);

// The job's read point: the earliest probed time when every source gave one, else nullopt.
std::optional<ClusterTime> CommonReadTime(const std::vector<SnapshotProbe>& probes);

// For the job status: how the input was read, and when the shards were not read at one time,
// which source refused snapshot reads and why.
std::string ConsistencyNote(const std::vector<SnapshotProbe>& probes);

// A cursor over db.coll's documents matching `filter`, read at `time`, with find's `options`
// (batchSize, sort, projection: each copied into the command). libmongoc's own find keeps only
// the level of a readConcern it is given, so the find command is built here and its reply
// becomes the cursor (getMore needs no read concern). Null, with `error` set, when the find
// fails.
mongoc_cursor_t* FindAtClusterTime(Client* client, const std::string& db, const std::string& coll,
                                   const bson_t* filter, const bson_t* options, ClusterTime time,
                                   bson_error_t* error);

// The Status for a cursor error of a read at `time` (0: not a snapshot read). SnapshotTooOld
// (server code 239) says what it means: the job outlived the servers' history window.
Status CursorError(const bson_error_t& error, ClusterTime time, const std::string& context);

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_SNAPSHOT_H_
