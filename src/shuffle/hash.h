// Two key hashes.
//
// HashKey() decides the partition (DefaultPartition) and is part of the format (FORMAT.md): XXH3
// of the key's payload with its type byte as the seed, which equals hashing the encoded key in
// spirit but needs no copy of the key first. The seed is a constant per type, never an address,
// so partitions agree across processes and machines. The collector computes it once per
// distinct key, when it writes the key out.
//
// TableHash() places a key in the collector's hash table and is computed on every emit: for the
// short keys that dominate (words), their bytes as two words (ShortKey) and one 64x64->128-bit
// multiply (after wyhash's mixing step), a fraction of XXH3's dispatch and setup; longer keys
// fall back to XXH3. It never leaves the process, so it may change freely.
#ifndef AVIARY_SHUFFLE_HASH_H_
#define AVIARY_SHUFFLE_HASH_H_

#include <array>
#include <bit>
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
// The 128-bit product folded so that its top 32 bits (the table's tag) are the product's middle
// bits 32-95, which depend on every bit of both factors. The usual fold, high ^ low, left the
// slot index of all words of one to four letters 60% more displaced (key_table_test.cc); a
// shift and an xor cost less than a second multiply or a double shift (shrd).
inline uint64_t MultiplyMiddle(uint64_t a, uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ (static_cast<uint64_t>(r >> 64) << 32);
}
}  // namespace detail

// A key of up to kShortKeyBytes bytes as two words, its bytes in memory order and zero beyond
// its end. Built with loads inside [p, p + n) only. Both the hash and the table's compare
// (KeyTable::FindShort) work on these words, so an emit touches the key's bytes once.
inline constexpr size_t kShortKeyBytes = 16;
struct ShortKey {
  uint64_t lo = 0, hi = 0;
  const char* bytes() const { return reinterpret_cast<const char*>(this); }  // n of them
};
static_assert(std::endian::native == std::endian::little, "ShortKey keeps bytes in memory order");

[[gnu::always_inline]] inline ShortKey LoadShortKey(const char* p, size_t n) {  // REQUIRES: n <= 16
  ShortKey k;
  if (n > 8) {
    std::memcpy(&k.lo, p, 8);
    std::memcpy(&k.hi, p + n - 8, 8);
    k.hi >>= 8 * (16 - n);  // drop the bytes that overlap lo
  } else if (n == 8) {
    std::memcpy(&k.lo, p, 8);
  } else if (n >= 4) {
    uint32_t x, y;
    std::memcpy(&x, p, 4);
    std::memcpy(&y, p + n - 4, 4);
    k.lo = x | uint64_t{y} << (8 * (n - 4));  // overlapping bytes are equal: OR keeps them
  } else if (n > 0) {
    const auto* u = reinterpret_cast<const uint8_t*>(p);
    k.lo = uint64_t{u[0]} | uint64_t{u[n >> 1]} << (8 * (n >> 1)) | uint64_t{u[n - 1]} << (8 * (n - 1));
  }
  return k;
}

// LoadShortKey() where 16 bytes from p are known to be readable (n <= 16 of them the key's):
// two whole-word loads and two masks, no branch on n. Branches on a word's length mispredict
// on text, where short and long words follow each other at random.
namespace detail {
struct ShortKeyMasks {
  uint64_t lo, hi;
};
inline constexpr auto kShortKeyMasks = [] {
  std::array<ShortKeyMasks, kShortKeyBytes + 1> masks{};
  for (size_t n = 0; n <= kShortKeyBytes; ++n) {
    masks[n].lo = n >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * n)) - 1;
    masks[n].hi = n <= 8 ? 0 : n == 16 ? ~uint64_t{0} : (uint64_t{1} << (8 * (n - 8))) - 1;
  }
  return masks;
}();
}  // namespace detail

[[gnu::always_inline]] inline ShortKey LoadPaddedShortKey(const char* p, size_t n) {  // REQUIRES: n <= 16
  ShortKey k;
  std::memcpy(&k.lo, p, 8);
  std::memcpy(&k.hi, p + 8, 8);
  k.lo &= detail::kShortKeyMasks[n].lo;
  k.hi &= detail::kShortKeyMasks[n].hi;
  return k;
}

// The table hash of a short key. Its high 32 bits pick the slot and serve as the slot's tag, so
// they must be well mixed: they come from the middle of the product of the two words, and the
// length and type enter through the second factor. One multiply, not wyhash's two: on the emit
// path the hash's latency comes before the slot's load (5% of collector_bench's time).
[[gnu::always_inline]] inline uint64_t ShortKeyHash(const ShortKey& k, size_t n, Type type) {
  const uint64_t seed = 0x9e3779b97f4a7c15ULL ^ (uint64_t{static_cast<uint8_t>(type)} << 56) ^ n;
  return detail::MultiplyMiddle(k.lo ^ 0xa0761d6478bd642fULL, k.hi ^ seed);
}

// The collector's table hash of a key given as a view (widened, see key.h).
[[gnu::always_inline]] inline uint64_t TableHash(ValueView key) {
  const size_t n = key.size();
  if (n > kShortKeyBytes) return XXH3_64bits_withSeed(key.data(), n, static_cast<uint8_t>(key.type()));
  return ShortKeyHash(LoadShortKey(key.data(), n), n, key.type());
}

inline uint32_t DefaultPartition(uint64_t hash, uint32_t num_partitions) {
  return static_cast<uint32_t>(hash % num_partitions);
}

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_HASH_H_
