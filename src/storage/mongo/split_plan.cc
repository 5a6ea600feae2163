#include "storage/mongo/split_plan.h"

#include <algorithm>
#include <string>

#include "storage/mongo/bson_convert.h"
#include "storage/mongo/bson_walk.h"
#include "storage/mongo/handles.h"
#include "storage/mongo/shard_key.h"

namespace aviary::mongo {
namespace {

bool SingleHashed(const KeyPattern& key) { return key.hashed() && key.fields.size() == 1; }

// The one value of a single-field bound.
BsonElement FirstElement(const std::string& bound) {
  BsonWalker w(bound.data(), bound.size());
  BsonElement e;
  w.Next(&e);
  return e;
}

// A hashed bound as a point on a line where MinKey is INT64_MIN and MaxKey one past INT64_MAX.
__int128 HashPoint(const std::string& bound) {
  const BsonElement e = FirstElement(bound);
  if (e.type == kBsonMinKey) return INT64_MIN;
  if (e.type == kBsonMaxKey) return static_cast<__int128>(INT64_MAX) + 1;
  return e.view().as_int();
}

std::string HashBound(const std::string& field, __int128 point) {
  ScopedBson b;
  if (point <= INT64_MIN) {
    BSON_APPEND_MINKEY(b.get(), field.c_str());
  } else if (point > INT64_MAX) {
    BSON_APPEND_MAXKEY(b.get(), field.c_str());
  } else {
    BSON_APPEND_INT64(b.get(), field.c_str(), static_cast<int64_t>(point));
  }
  return std::string(b.bytes());
}

// Cuts every chunk into `slices` equal pieces of the hash space.
std::vector<ChunkBounds> SliceHashed(const KeyPattern& key, const std::vector<ChunkBounds>& chunks, uint32_t slices) {
  std::vector<ChunkBounds> out;
  for (const ChunkBounds& c : chunks) {
    const __int128 lo = HashPoint(c.min), hi = HashPoint(c.max);
    __int128 start = lo;
    for (uint32_t i = 1; i <= slices; ++i) {
      const __int128 end = i == slices ? hi : lo + (hi - lo) * i / slices;
      if (end <= start) continue;
      out.push_back({start == lo ? c.min : HashBound(key.fields[0], start), end == hi ? c.max : HashBound(key.fields[0], end)});
      start = end;
    }
  }
  return out;
}

// The first field's value of a bound, and whether the rest of it is all MinKey (then the first
// field's value is itself an exclusive upper limit).
BsonElement FirstField(const std::string& bound, bool* rest_min_key) {
  BsonWalker w(bound.data(), bound.size());
  BsonElement first, e;
  w.Next(&first);
  *rest_min_key = true;
  while (w.Next(&e)) *rest_min_key &= e.type == kBsonMinKey;
  return first;
}

// {field: {$gte: lo, $lt|$lte: hi}} for one range, or false when it cannot be expressed safely.
bool AppendRangeClause(const std::string& field, const ChunkBounds& r, bson_t* clause) {
  bool lo_rest = false, hi_rest = false;
  const BsonElement lo = FirstField(r.min, &lo_rest), hi = FirstField(r.max, &hi_rest);
  const int rank = CanonicalTypeRank(static_cast<Type>(lo.type));
  if (lo.type == kBsonMinKey || hi.type == kBsonMaxKey || rank != CanonicalTypeRank(static_cast<Type>(hi.type)) ||
      rank == CanonicalTypeRank(Type::kNull)) {
    return false;
  }
  bson_t cond;
  bson_append_document_begin(clause, field.c_str(), -1, &cond);
  AppendToBson(&cond, "$gte", lo.view());
  AppendToBson(&cond, hi_rest ? "$lt" : "$lte", hi.view());
  bson_append_document_end(clause, &cond);
  return true;
}

}  // namespace

uint32_t PossibleParts(const KeyPattern& key, size_t num_chunks, uint32_t wanted) {
  if (wanted <= 1) return 1;
  if (SingleHashed(key)) return wanted;
  return static_cast<uint32_t>(std::min<size_t>(wanted, std::max<size_t>(num_chunks, 1)));
}

std::vector<ChunkBounds> PartChunks(const KeyPattern& key, const std::vector<ChunkBounds>& chunks, uint32_t part,
                                    uint32_t num_parts) {
  if (num_parts <= 1) return chunks;
  std::vector<ChunkBounds> pieces = chunks;
  if (SingleHashed(key) && pieces.size() < num_parts) {
    pieces = SliceHashed(key, chunks, static_cast<uint32_t>((num_parts + chunks.size() - 1) / chunks.size()));
  }
  const size_t begin = pieces.size() * part / num_parts, end = pieces.size() * (part + 1) / num_parts;
  return std::vector<ChunkBounds>(pieces.begin() + static_cast<ptrdiff_t>(begin), pieces.begin() + static_cast<ptrdiff_t>(end));
}

bool AppendRangeFilter(const KeyPattern& key, const std::vector<ChunkBounds>& ranges, bson_t* filter) {
  if (key.hashed() || ranges.empty()) return false;
  ScopedBson any_of;
  for (size_t i = 0; i < ranges.size(); ++i) {
    bson_t clause;
    const std::string index = std::to_string(i);
    bson_append_document_begin(any_of.get(), index.c_str(), -1, &clause);
    const bool ok = AppendRangeClause(key.fields[0], ranges[i], &clause);
    bson_append_document_end(any_of.get(), &clause);
    if (!ok) return false;
  }
  if (ranges.size() == 1) {
    bson_iter_t it, child;
    if (!bson_iter_init_find(&it, any_of.get(), "0") || !bson_iter_recurse(&it, &child)) return false;
    while (bson_iter_next(&child)) bson_append_iter(filter, nullptr, 0, &child);
    return true;
  }
  bson_append_array(filter, "$or", -1, any_of.get());
  return true;
}

}  // namespace aviary::mongo
