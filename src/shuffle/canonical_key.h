// Keys in MongoDB's equality: one representative per class of keys that BSON comparison calls
// equal, so that grouping, partitioning (a hash of the bytes), run order and the output's _id can
// all work on bytes. Two keys are equal in MongoDB exactly when their canonical forms are
// byte-identical.
//
// The representative, applied to the key and, recursively, to every element of a document or
// array key (field names and order are kept: MongoDB compares them too):
//   - numbers (int32, int64, double, decimal128) by value: an integral value in the int64 range
//     becomes an int64 (so 3, NumberLong(3), 3.0 and NumberDecimal("3.00") are int64 3, and -0.0
//     is 0); any other value a double holds exactly becomes that double (2.5, 1e300, +-inf); all
//     NaNs become one NaN; a decimal that no double or int64 holds stays a decimal128 with its
//     trailing zeros removed (1.10 and 1.1 are one key). int64 values beyond 2^53 stay exact.
//   - undefined becomes null (MongoDB: null and missing are the same key);
//   - symbol becomes string (they share one canonical type and compare by their characters).
//   - everything else is kept as is (strings compare bytewise, binary by bytes, ...). Code with
//     scope keeps its scope's bytes (MongoDB would compare the scope's numbers by value).
// Why int64 for an integral key, not double as MongoDB's JavaScript mapReduce writes: it holds
// every integer exactly (large NumberLong keys of 2^53 + 1 and 2^53 stay apart), and it is what
// Aviary always wrote for integer keys. A target written by MongoDB with double _ids still
// matches: lookups go through this same canonical form (src/storage/mongo/README.md).
#ifndef AVIARY_SHUFFLE_CANONICAL_KEY_H_
#define AVIARY_SHUFFLE_CANONICAL_KEY_H_

#include <string>

#include "aviary/value.h"

namespace aviary::shuffle {

// The canonical form of `key`: `key` itself when it already is canonical (strings always are),
// else a view into `*scratch`, valid until the next call with the same scratch.
// REQUIRES: `key` is well-formed (documents and arrays complete BSON).
ValueView CanonicalKey(ValueView key, std::string* scratch);

// True when CanonicalKey() would return `key` unchanged.
bool IsCanonicalKey(ValueView key);

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_CANONICAL_KEY_H_
