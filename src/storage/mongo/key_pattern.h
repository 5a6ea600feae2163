// Shard key patterns and chunk bounds.
//
// A key pattern is {field: 1, ...} or has one field {field: "hashed"}. Chunk bounds are documents
// with the pattern's fields in order; their values may be MinKey/MaxKey. FerretDB cannot store
// MinKey/MaxKey, so Aviary's local cluster writes the sub-document {aviary: "minKey"} or
// {aviary: "maxKey"} in their place; NormalizeBound() turns both spellings into real BSON
// MinKey/MaxKey, which is what every other part of this module sees.
//
// Thread safety: plain values and pure functions.
#ifndef AVIARY_STORAGE_MONGO_KEY_PATTERN_H_
#define AVIARY_STORAGE_MONGO_KEY_PATTERN_H_

#include <mongoc/mongoc.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace aviary::mongo {

struct KeyPattern {
  std::vector<std::string> fields;  // dotted paths, in pattern order
  int hashed_field = -1;            // index into `fields` of the "hashed" field; -1 for ranged keys
  std::string bson;                 // the pattern document as stored

  bool hashed() const { return hashed_field >= 0; }
};

// Parses a shard key pattern. InvalidArgument for an empty pattern, a direction other than 1,
// or more than one hashed field.
StatusOr<KeyPattern> ParseKeyPattern(std::string_view bson);

// `bound` (a chunk's min or max) as a document with exactly the pattern's fields in order and
// MinKey/MaxKey in BSON form. InvalidArgument when the fields do not match the pattern.
StatusOr<std::string> NormalizeBound(std::string_view bound, const KeyPattern& key);

// Orders two normalised bounds (or extracted keys laid out the same way) of one key pattern:
// values compared position by position in MongoDB's BSON order.
int CompareBounds(std::string_view a, std::string_view b);

// The sentinel spellings of the local cluster, for tools that write config documents to FerretDB.
inline constexpr std::string_view kSentinelField = "aviary";
inline constexpr std::string_view kMinKeySentinel = "minKey";
inline constexpr std::string_view kMaxKeySentinel = "maxKey";

// Appends MinKey (`max` false) or MaxKey in FerretDB-storable form: {aviary: "minKey"|"maxKey"}.
void AppendStorableMinMaxKey(bson_t* doc, const char* field, bool max);

// Short relaxed extended JSON of a BSON document, for messages (at most ~200 characters).
std::string BsonToShortJson(std::string_view bson);

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_KEY_PATTERN_H_
