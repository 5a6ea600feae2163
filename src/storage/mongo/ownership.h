// Keeps the documents whose shard key lies in a chunk a shard owns. A shard's mongod returns
// orphans too (copies left by chunk migrations until the range deleter removes them); mongos
// filters them out, and so must a reader that goes to the shard directly.
//
// Per document: extract the key fields (dotted paths; a missing field counts as null, as in
// MongoDB), hash the hashed field, and binary-search the owned ranges, which are sorted and
// merged where adjacent. No allocation per document.
//
// Thread safety: Owns() uses scratch state; one filter per thread.
#ifndef AVIARY_STORAGE_MONGO_OWNERSHIP_H_
#define AVIARY_STORAGE_MONGO_OWNERSHIP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aviary/value.h"
#include "common/status.h"
#include "storage/mongo/key_pattern.h"

namespace aviary::mongo {

struct ChunkBounds {
  std::string min;  // normalised BSON bounds (key_pattern.h)
  std::string max;
};

class OwnershipFilter {
 public:
  // REQUIRES: each bound has exactly `key`'s fields (as NormalizeBound produces).
  // InvalidArgument otherwise.
  static StatusOr<OwnershipFilter> Create(const KeyPattern& key, const std::vector<ChunkBounds>& owned);

  // Whether the document (BSON bytes) has its shard key in an owned range.
  bool Owns(const char* doc, size_t size);

  // The document's shard key values (hashed where the pattern says so), as Owns() sees them.
  // The views stay valid until the next call.
  const std::vector<ValueView>& ExtractKey(const char* doc, size_t size);

  size_t num_ranges() const { return lows_.size() / width(); }

 private:
  OwnershipFilter() = default;
  size_t width() const { return key_.fields.size(); }
  // Lexicographic comparison of the extracted key with range `i`'s low or high bound.
  int CompareKeyTo(const std::vector<ValueView>& bounds, size_t i) const;

  KeyPattern key_;
  // Every bound's bytes; the views below point into it. On the heap so that moving the filter
  // (a std::string's small-buffer storage would move) keeps them valid.
  std::unique_ptr<std::string> arena_;
  std::vector<ValueView> lows_, highs_;  // width() values per range, ranges sorted and disjoint
  std::vector<ValueView> scratch_;       // the current document's key
  int64_t hash_scratch_ = 0;             // backs the hashed field's view
};

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_OWNERSHIP_H_
