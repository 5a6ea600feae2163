// How `aviary load` cuts a collection's shard key space into chunks and spreads them over the
// shards, as MongoDB would record it in config.chunks.
//
// Thread safety: plain values and pure functions.
#ifndef AVIARY_LOADER_LOAD_CHUNKS_H_
#define AVIARY_LOADER_LOAD_CHUNKS_H_

#include <bson/bson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aviary/value.h"
#include "common/status.h"

namespace aviary::loader {

struct ChunkPlan {
  std::string field;  // top-level shard key field
  bool hashed = false;
  // Ascending split points: chunk i is [splits[i-1], splits[i]), with MinKey before the first and
  // MaxKey after the last. For a hashed key, NumberLong hash values.
  std::vector<Value> splits;
  std::vector<int> owner;  // shard index of each chunk: splits.size() + 1 entries

  size_t chunks() const { return owner.size(); }
};

// MongoDB's initial split points for a hashed shard key cut into `chunks` chunks: evenly spaced
// over the int64 range and symmetric around 0 (InitialSplitPolicy::calculateHashedSplitPoints).
std::vector<int64_t> HashedSplitPoints(int chunks);

// REQUIRES: chunks >= 1, shards >= 1. Chunk i goes to shard i % shards.
ChunkPlan PlanHashedChunks(const std::string& field, int chunks, int shards);

// Cuts the key space at quantiles of `keys` (the documents' shard key values, in any order) into
// at most `chunks` contiguous ranges (fewer when there are few distinct values). Chunk i goes to
// shard i % shards. REQUIRES: chunks >= 1, shards >= 1.
ChunkPlan PlanRangedChunks(const std::string& field, std::vector<ValueView> keys, int chunks, int shards);

// The chunk that owns a document whose shard key value is `key`.
size_t ChunkOf(const ChunkPlan& plan, ValueView key);

// The shard key value of BSON document `doc`: the value of top-level `field`, or null when it is
// missing (as MongoDB treats it). InvalidArgument for an array, which MongoDB forbids in keys.
StatusOr<ValueView> ShardKeyOf(std::string_view doc, const std::string& field);

// Appends {plan.field: bound} to `out` for the min (`max` false) or max of chunk `chunk`, with
// MinKey/MaxKey in FerretDB-storable form ({aviary: "minKey"}).
void AppendBound(bson_t* out, const ChunkPlan& plan, size_t chunk, bool max);

// The key pattern document: {field: 1} or {field: "hashed"}.
void AppendKeyPattern(bson_t* out, const ChunkPlan& plan);

// InvalidArgument unless `field` can be a shard key here: non-empty, top-level (FerretDB stores
// no field names with '.'), not starting with '$'.
Status CheckShardKeyField(const std::string& field);

}  // namespace aviary::loader

#endif  // AVIARY_LOADER_LOAD_CHUNKS_H_
