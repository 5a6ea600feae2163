// Two key hashes.
//
// HashKey() decides the partition (DefaultPartition) and is part of the format (FORMAT.md): XXH3
// of the key's payload with its type byte as the seed, which equals hashing the encoded key in
// spirit but needs no copy of the key first. The seed is a constant per type, never an address,
// so partitions agree across processes and machines. The collector computes it once per
// distinct key, when it writes the key out.
//
// TableHash() places a key in the collector's hash table and is computed on every emit: for the
// short keys that dominate (words), two loads and two 64x64->128-bit multiplies (wyhash's
// mixing), a fraction of XXH3's dispatch and setup; longer keys fall back to XXH3. It never
// leaves the process, so it may change freely.
#ifndef AVIARY_SHUFFLE_HASH_H_
#define AVIARY_SHUFFLE_HASH_H_

#include <cstdint>
#include <cstring>
#include <string_view>

#include "aviary/value.h"

#define XXH_INLINE_ALL  // short keys: inlining the hash matters more than code size
#include <xxhash.h>

namespace aviary::shuffle {

// The hash of a key given as a view. REQUIRES: the key in its canonical form (canonical_key.h).
inline uint64_t HashKey(ValueView key) {
  return XXH3_64bits_withSeed(key.data(), key.size(), static_cast<uint8_t>(key.type()));
}

// The same hash of an encoded key (key.h): HashKey(DecodeValue(k)).
inline uint64_t HashKey(std::string_view encoded_key) {
  return XXH3_64bits_withSeed(encoded_key.data() + 1, encoded_key.size() - 1, static_cast<uint8_t>(encoded_key[0]));
}

namespace detail {
inline uint64_t Mum(uint64_t a, uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
}  // namespace detail

// The collector's table hash of a key given as a view (widened, see key.h). Its high 32 bits
// pick the slot and serve as the slot's tag, so they must be well mixed: they are, the last
// multiply folds every input bit into them.
[[gnu::always_inline]] inline uint64_t TableHash(ValueView key) {
  const auto* p = reinterpret_cast<const uint8_t*>(key.data());
  const size_t n = key.size();
  if (n > 16) return XXH3_64bits_withSeed(p, n, static_cast<uint8_t>(key.type()));
  uint64_t a, b;
  if (n >= 8) {
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + n - 8, 8);
  } else if (n >= 4) {
    uint32_t x, y;
    std::memcpy(&x, p, 4);
    std::memcpy(&y, p + n - 4, 4);
    a = x;
    b = y;
  } else {
    a = n == 0 ? 0 : (uint64_t{p[0]} << 16) | (uint64_t{p[n >> 1]} << 8) | p[n - 1];
    b = 0;
  }
  const uint64_t seed = 0x9e3779b97f4a7c15ULL ^ (uint64_t{static_cast<uint8_t>(key.type())} << 56) ^ n;
  return detail::Mum(detail::Mum(a ^ 0xa0761d6478bd642fULL, b ^ seed) ^ 0xe7037ed1a0b428dbULL, 0x8ebc6af09c88c6e3ULL ^ n);
}

// The partition of a key whose HashKey() is `hash` when the job has no partitioner.
inline uint32_t DefaultPartition(uint64_t hash, uint32_t num_partitions) {
  return static_cast<uint32_t>(hash % num_partitions);
}

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_HASH_H_
