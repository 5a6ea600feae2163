// Cutting one shard's chunks into parts, so that more map tasks than shards can read a sharded
// collection, and the range filter that lets a part read only its key ranges.
//
// A split carries all of its shard's chunks plus (part, num_parts); PartChunks() recomputes the
// part's subset deterministically on the worker. The reader keeps documents of the part's chunks,
// skips silently those of sibling parts, and counts the rest as orphans.
//
// Thread safety: pure functions.
#ifndef AVIARY_STORAGE_MONGO_SPLIT_PLAN_H_
#define AVIARY_STORAGE_MONGO_SPLIT_PLAN_H_

#include <mongoc/mongoc.h>

#include <cstdint>
#include <vector>

#include "storage/mongo/key_pattern.h"
#include "storage/mongo/ownership.h"

namespace aviary::mongo {

// How many parts a shard with `num_chunks` chunks can be cut into when `wanted` are asked for.
// A single-field hashed key can be cut anywhere in the hash space; other keys only at chunk bounds.
uint32_t PossibleParts(const KeyPattern& key, size_t num_chunks, uint32_t wanted);

// Part `part` of `num_parts` of a shard's chunks (sorted by min): contiguous runs of chunks of
// near-equal count; for a single-field hashed key with fewer chunks than parts, the chunks are
// first cut into equal slices of the hash space.
// REQUIRES: part < num_parts <= PossibleParts(key, chunks.size(), num_parts).
std::vector<ChunkBounds> PartChunks(const KeyPattern& key, const std::vector<ChunkBounds>& chunks, uint32_t part,
                                    uint32_t num_parts);

// Appends to `filter` a query condition on the first shard key field that matches every document
// of `ranges` (and maybe a few more, which the ownership filter then drops): MongoDB answers it
// from the shard key index; FerretDB evaluates range filters by scanning. Appends nothing and
// returns false when no condition would narrow the read (hashed keys, ranges reaching MinKey or
// MaxKey, or spanning several BSON types, where type bracketing would lose documents).
bool AppendRangeFilter(const KeyPattern& key, const std::vector<ChunkBounds>& ranges, bson_t* filter);

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_SPLIT_PLAN_H_
