// Shard key values as MongoDB sees them: the hashed-index hash, and the BSON sort order that
// chunk ranges [min, max) are defined in.
//
// Values are aviary::ValueViews: kString views point at the characters only; every other type
// (including those outside aviary::Type, such as MinKey 0xFF, MaxKey 0x7F, regex, Decimal128)
// carries its raw BSON payload, as BsonElement::view() produces.
//
// Thread safety: pure functions.
#ifndef AVIARY_STORAGE_MONGO_SHARD_KEY_H_
#define AVIARY_STORAGE_MONGO_SHARD_KEY_H_

#include <cstdint>

#include "aviary/value.h"
#include "storage/mongo/bson_walk.h"

namespace aviary::mongo {

// Exactly MongoDB's hashed index value of `value` (BSONElementHasher::hash64 with seed 0): the
// value a {field: "hashed"} shard key compares against the NumberLong chunk bounds.
// Numbers hash as their int64 truncation (so 3, 3L and 3.7 collide, as in MongoDB).
// Decimal128 is not supported (MongoDB's rounding is not reproduced); it hashes its raw bytes.
int64_t HashedShardKeyValue(ValueView value);

// MongoDB's canonical type rank (MinKey < null < numbers < strings < documents < arrays <
// binary < ObjectId < bool < date < timestamp < regex < ... < MaxKey).
int CanonicalTypeRank(Type type);

// <0, 0, >0 as `a` sorts before, equal to, or after `b` in MongoDB's BSON order: first by
// canonical type, numbers compared numerically across int32/int64/double (NaN below all
// numbers), strings bytewise (simple collation), documents and arrays element by element (type,
// then field name, then value), binary by length, subtype, bytes.
int CompareKeyValues(ValueView a, ValueView b);

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_SHARD_KEY_H_
