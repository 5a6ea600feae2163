// `sort` and `limit` on the MongoDB input, as MongoDB's mapReduce applies them: the first `limit`
// documents of the whole collection (after `query`) in `sort` order, whichever shards hold them.
//
// At planning each shard is asked for its first `limit` owned documents in sort order (sort key,
// _id and shard key projected; orphans skipped, so they never take a place); the candidates of
// all shards are merged here into the global first `limit`, and each shard's split then carries
// the exact set of _ids it must read (mongo_input.cc).
//
// Order: the sort fields in turn (1 ascending, -1 descending) in MongoDB's BSON order (numbers by
// value across int32/int64/double; a missing field sorts as null, first when ascending), then
// _id ascending as the tie-break, so that the subset kept among documents tied at the limit is
// deterministic and the count exact. Arrays on a sort path compare as whole arrays (MongoDB
// compares their smallest or largest element): not supported.
//
// Thread safety: plain values and pure functions.
#ifndef AVIARY_STORAGE_MONGO_SORT_LIMIT_H_
#define AVIARY_STORAGE_MONGO_SORT_LIMIT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace aviary::mongo {

struct SortSpec {
  std::vector<std::string> fields;  // dotted paths, in the order of the sort document
  std::vector<int> directions;      // 1 or -1, one per field
};

// Parses a sort document (BSON) {field: 1|-1, ...}. InvalidArgument (naming --sort) when it is
// empty or a direction is not 1 or -1.
StatusOr<SortSpec> ParseSort(std::string_view bson);

// Parses --limit: a non-negative integer in decimal; 0 means no limit (as MongoDB).
// InvalidArgument for a negative, non-integer or out-of-range value.
StatusOr<int64_t> ParseLimit(std::string_view text);

// <0, 0, >0 as document `a` (BSON bytes) comes before, ties with or comes after `b` in `sort`
// order with the _id tie-break.
int CompareForSort(const SortSpec& sort, std::string_view a, std::string_view b);

// The find() sort document for `sort` with the tie-break: {fields..., _id: 1} (BSON).
std::string SortDocument(const SortSpec& sort);

// One shard's candidate: a projected document and the index of its shard.
struct Candidate {
  std::string doc;
  size_t shard = 0;
};

// The first `limit` of `candidates` in sort order (all of them when fewer).
std::vector<Candidate> FirstInOrder(const SortSpec& sort, std::vector<Candidate> candidates, int64_t limit);

// Keeps a shard's first `limit` documents as they arrive in the server's sort order, without
// trusting that order: an out-of-order arrival turns early stopping off, and Take() sorts.
class ShardFirst {
 public:
  ShardFirst(const SortSpec* sort, int64_t limit) : sort_(sort), limit_(limit) {}
  void Add(std::string doc);
  // True once the server's order has held and `limit` documents have been seen.
  bool Done() const { return ordered_ && static_cast<int64_t>(docs_.size()) >= limit_; }
  std::vector<std::string> Take();

 private:
  const SortSpec* sort_;
  int64_t limit_;
  bool ordered_ = true;
  std::vector<std::string> docs_;
};

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_SORT_LIMIT_H_
