#include "shuffle/slot_sort.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "shuffle/key.h"

namespace aviary::shuffle {
namespace {

// Below this many slots a bucket is finished by std::sort.
constexpr size_t kSmallBucket = 64;
// Level 0: partition; 1: type byte; 2..9: prefix bytes, most significant first.
constexpr int kLastLevel = 9;

inline size_t Digit(const Slot& s, int level) {
  if (level == 0) return s.tag;
  if (level == 1) return static_cast<uint8_t>(s.key[0]);
  return static_cast<size_t>((SortPrefix(s) >> (8 * (kLastLevel - level))) & 0xff);
}

// Levels 0 and 2 as one digit, for keys that all have one type (level 1 then tells nothing).
inline size_t FusedDigit(const Slot& s) { return size_t{s.tag} << 8 | static_cast<size_t>(SortPrefix(s) >> 56); }
// Up to this many partitions level 0 is fused with level 2 (their 256 buckets each stay small).
constexpr uint32_t kMaxFusedPartitions = 64;

// Sets the bucket bounds for `count` (next[b]: where bucket b's next slot goes; end[b]: where
// it ends).
void BucketBounds(const size_t* count, size_t num_buckets, size_t* next, size_t* end) {
  size_t sum = 0;
  for (size_t b = 0; b < num_buckets; ++b) {
    next[b] = sum;
    sum += count[b];
    end[b] = sum;
  }
}

// American flag permutation: walk each bucket's unfilled part, swapping every slot into the next
// free place of its own bucket.
template <typename DigitOf>
void Permute(Slot* slots, size_t num_buckets, DigitOf digit_of, size_t* next, const size_t* end) {
  for (size_t b = 0; b < num_buckets; ++b) {
    while (next[b] < end[b]) {
      Slot held = slots[next[b]];
      size_t d = digit_of(held);
      while (d != b) {
        std::swap(held, slots[next[d]++]);
        d = digit_of(held);
      }
      slots[next[b]++] = held;
    }
  }
}

// Distributes slots[0, n) into buckets by their digit at `level`, in place; count[b] gets the
// size of bucket b. Returns false (and moves nothing) when one bucket would take them all.
bool Distribute(Slot* slots, size_t n, int level, size_t num_buckets, size_t* count, size_t* next, size_t* end) {
  std::fill(count, count + num_buckets, 0);
  for (size_t i = 0; i < n; ++i) ++count[Digit(slots[i], level)];
  if (count[Digit(slots[0], level)] == n) return false;
  BucketBounds(count, num_buckets, next, end);
  Permute(slots, num_buckets, [level](const Slot& s) { return Digit(s, level); }, next, end);
  return true;
}

// Distribute() by FusedDigit(), which has num_partitions * 256 buckets. Returns false (and moves
// nothing) when the keys have more than one type; the count pass finds that out on the way.
bool DistributeFused(Slot* slots, size_t n, size_t num_buckets, size_t* count, size_t* next, size_t* end) {
  std::fill(count, count + num_buckets, 0);
  const char type = slots[0].key[0];
  bool one_type = true;
  for (size_t i = 0; i < n; ++i) {
    one_type &= slots[i].key[0] == type;
    ++count[FusedDigit(slots[i])];
  }
  if (!one_type) return false;
  BucketBounds(count, num_buckets, next, end);
  Permute(slots, num_buckets, FusedDigit, next, end);
  return true;
}

void SortRange(Slot* slots, size_t n, int level);

// Sorts each of the `num_buckets` consecutive buckets (sizes in `count`) from digit `level` on.
void SortBuckets(Slot* slots, const size_t* count, size_t num_buckets, int level) {
  size_t begin = 0;
  for (size_t b = 0; b < num_buckets; ++b) {
    if (count[b] > 1) SortRange(slots + begin, count[b], level);
    begin += count[b];
  }
}

void SortRange(Slot* slots, size_t n, int level) {
  size_t count[256], next[256], end[256];
  while (n >= kSmallBucket && level <= kLastLevel) {
    if (!Distribute(slots, n, level, 256, count, next, end)) {
      ++level;  // one bucket takes all: nothing moves at this level
      continue;
    }
    return SortBuckets(slots, count, 256, level + 1);
  }
  std::sort(slots, slots + n, SlotLess);  // small, or past the prefix where only key bytes tell
}

}  // namespace

bool SlotLess(const Slot& a, const Slot& b) {
  if (a.tag != b.tag) return a.tag < b.tag;
  if (a.key[0] != b.key[0]) return static_cast<uint8_t>(a.key[0]) < static_cast<uint8_t>(b.key[0]);
  const uint64_t pa = SortPrefix(a);
  const uint64_t pb = SortPrefix(b);
  if (pa != pb) return pa < pb;
  return CompareKeys(a.encoded_key(), b.encoded_key()) < 0;
}

void SortSlots(Slot* slots, size_t n, uint32_t num_partitions) {
  if (n < 2) return;
  // Level 0, the partition, has num_partitions buckets; the others have 256. Keys of one type
  // (a word count's strings) skip level 1 and take levels 0 and 2 in one pass, where the
  // partition, type and first-byte passes each went over all slots (the sort was a tenth of a
  // map over 400K distinct words).
  const size_t r = std::max<uint32_t>(num_partitions, 1);
  if (r <= kMaxFusedPartitions) {
    std::vector<size_t> count(r * 256), next(r * 256), end(r * 256);
    if (DistributeFused(slots, n, r * 256, count.data(), next.data(), end.data())) {
      return SortBuckets(slots, count.data(), r * 256, 3);
    }
  }
  std::vector<size_t> count(r), next(r), end(r);
  if (!Distribute(slots, n, 0, r, count.data(), next.data(), end.data())) return SortRange(slots, n, 1);
  SortBuckets(slots, count.data(), r, 1);
}

}  // namespace aviary::shuffle
