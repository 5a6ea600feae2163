// The key hash: one XXH3 per emitted key serves both the collector's table and the default
// partitioner. It hashes the key's payload with its type byte as the seed, which equals hashing
// the encoded key in spirit but needs no copy of the key first (copying, then re-reading, the
// key costs a store-forwarding stall per emit). The seed is a constant per type, never an
// address, so partitions agree across processes and machines.
#ifndef AVIARY_SHUFFLE_HASH_H_
#define AVIARY_SHUFFLE_HASH_H_

#include <cstdint>
#include <string_view>

#include "aviary/value.h"

#define XXH_INLINE_ALL  // short keys: inlining the hash matters more than code size
#include <xxhash.h>

namespace aviary::shuffle {

// The hash of a key given as a view. REQUIRES: not kInt32 (widen it to int64 first, key.h).
inline uint64_t HashKey(ValueView key) {
  return XXH3_64bits_withSeed(key.data(), key.size(), static_cast<uint8_t>(key.type()));
}

// The same hash of an encoded key (key.h): HashKey(DecodeValue(k)).
inline uint64_t HashKey(std::string_view encoded_key) {
  return XXH3_64bits_withSeed(encoded_key.data() + 1, encoded_key.size() - 1, static_cast<uint8_t>(encoded_key[0]));
}

// The partition of a key whose HashKey() is `hash` when the job has no partitioner.
inline uint32_t DefaultPartition(uint64_t hash, uint32_t num_partitions) {
  return static_cast<uint32_t>(hash % num_partitions);
}

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_HASH_H_
