// A batch of values waiting for one reduce() call, carried by the engine as a key's combiner
// accumulator. The engine folds each new value into the accumulator with Reduce() (see
// Combiner::kReduce); calling into JavaScript for every such fold would cost more than the map
// itself, so Reduce() appends to a bag instead and calls the user's reduce once the bag is full,
// and Finalize() reduces what is left. reduce therefore sees groups of values and its own
// earlier results, as in MongoDB, and is never called for a key with a single value.
//
// Encoding: a BSON array whose element 0 is a binary value with a private subtype, a magic and
// the number of values; the values follow. No user value can look like that by accident.
#ifndef AVIARY_JS_BAG_H_
#define AVIARY_JS_BAG_H_

#include <vector>

#include "aviary/value.h"

namespace aviary::js {

inline constexpr size_t kBagMaxValues = 32;   // values per reduce() call on the map side
inline constexpr size_t kBagMaxBytes = 16 << 10;  // bigger values are reduced sooner

bool IsBag(ValueView v);
// Appends the values inside `v` (or `v` itself if it is not a bag) to *out, as views into `v`.
void ExpandBag(ValueView v, std::vector<ValueView>* out);
// The number of values in `v` (1 if it is not a bag).
size_t BagSize(ValueView v);
// A bag holding `values` (copied).
Value MakeBag(const std::vector<ValueView>& values);
// `bag` with `v` appended: one copy of the bytes, no parsing. REQUIRES: IsBag(bag), !IsBag(v).
Value AppendToBag(ValueView bag, ValueView v);

}  // namespace aviary::js

#endif  // AVIARY_JS_BAG_H_
