// Sorting the collector's table into (partition, key order) before it is written out.
//
// An in-place MSD radix sort (American flag sort) of the 32-byte slots themselves: digits are the
// partition, the type byte and the eight bytes of the key's order-preserving prefix (key.h);
// buckets of a few dozen slots, and keys whose prefixes tie, finish with a comparison sort. A
// comparison sort of millions of random words mispredicts a branch on nearly every comparison
// (it was a fifth of a high-cardinality map task); bucketing by digit does not branch on the
// data, and needs no memory besides the slots (so spilling stays within the memory budget).
#ifndef AVIARY_SHUFFLE_SLOT_SORT_H_
#define AVIARY_SHUFFLE_SLOT_SORT_H_

#include <cstddef>
#include <cstdint>

#include "shuffle/key_table.h"

namespace aviary::shuffle {

// The sort prefix of a slot: Slot::Prefix() inline; an out-of-line slot's must have been cached
// in its sum_bits (which only inline slots use).
inline uint64_t SortPrefix(const Slot& s) { return s.is_inline() ? s.Prefix() : static_cast<uint64_t>(s.sum_bits); }

// Whether `a` goes before `b`: by partition (the tag), then key order.
bool SlotLess(const Slot& a, const Slot& b);

// Sorts `slots[0, n)` by SlotLess. REQUIRES: every slot's tag is its partition, below
// `num_partitions`; out-of-line slots carry KeyPrefix() of their key in sum_bits.
void SortSlots(Slot* slots, size_t n, uint32_t num_partitions);

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_SLOT_SORT_H_
