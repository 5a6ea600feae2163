#include "storage/mongo/ownership.h"

#include <algorithm>

#include "storage/mongo/bson_walk.h"
#include "storage/mongo/shard_key.h"

namespace aviary::mongo {
namespace {

// Appends the values of one normalised bound (whose bytes live in the arena) to `out`; false
// when its fields are not the key's.
bool AppendBoundValues(std::string_view bound, const KeyPattern& key, std::vector<ValueView>* out) {
  BsonWalker w(bound.data(), bound.size());
  BsonElement e;
  size_t n = 0;
  for (; w.Next(&e); ++n) {
    if (n >= key.fields.size() || e.name != key.fields[n]) return false;
    out->push_back(e.view());
  }
  return !w.malformed() && n == key.fields.size();
}

}  // namespace

StatusOr<OwnershipFilter> OwnershipFilter::Create(const KeyPattern& key, const std::vector<ChunkBounds>& owned) {
  std::vector<ChunkBounds> sorted = owned;
  std::sort(sorted.begin(), sorted.end(),
            [](const ChunkBounds& a, const ChunkBounds& b) { return CompareBounds(a.min, b.min) < 0; });
  // Merge ranges that touch: a shard usually owns runs of adjacent chunks.
  std::vector<ChunkBounds> merged;
  for (ChunkBounds& c : sorted) {
    if (!merged.empty() && CompareBounds(merged.back().max, c.min) >= 0) {
      if (CompareBounds(c.max, merged.back().max) > 0) merged.back().max = std::move(c.max);
    } else {
      merged.push_back(std::move(c));
    }
  }
  OwnershipFilter filter;
  filter.key_ = key;
  filter.arena_ = std::make_unique<std::string>();
  std::string& arena = *filter.arena_;
  std::vector<size_t> offsets;
  for (const ChunkBounds& c : merged) {  // the arena is complete before any view points into it
    offsets.push_back(arena.size());
    arena += c.min;
    arena += c.max;
  }
  for (size_t i = 0; i < merged.size(); ++i) {
    const std::string_view min(arena.data() + offsets[i], merged[i].min.size());
    const std::string_view max(min.data() + min.size(), merged[i].max.size());
    if (!AppendBoundValues(min, key, &filter.lows_) ||
        !AppendBoundValues(max, key, &filter.highs_)) {
      return InvalidArgument("chunk bounds " + BsonToShortJson(merged[i].min) + " .. " + BsonToShortJson(merged[i].max) +
                             " do not match shard key " + BsonToShortJson(key.bson));
    }
  }
  filter.scratch_.resize(key.fields.size());
  return filter;
}

const std::vector<ValueView>& OwnershipFilter::ExtractKey(const char* doc, size_t size) {
  for (size_t i = 0; i < width(); ++i) {
    BsonElement e;
    ValueView v = FindPath(doc, size, key_.fields[i], &e) ? e.view() : ValueView::Null();
    if (static_cast<int>(i) == key_.hashed_field) {
      hash_scratch_ = HashedShardKeyValue(v);
      v = ValueView::Int64(hash_scratch_);
    }
    scratch_[i] = v;
  }
  return scratch_;
}

int OwnershipFilter::CompareKeyTo(const std::vector<ValueView>& bounds, size_t i) const {
  const ValueView* b = bounds.data() + i * width();
  for (size_t f = 0; f < width(); ++f) {
    if (const int c = CompareKeyValues(scratch_[f], b[f])) return c;
  }
  return 0;
}

bool OwnershipFilter::Owns(const char* doc, size_t size) {
  ExtractKey(doc, size);
  // The last range whose low bound is <= key, then key < its high bound.
  size_t lo = 0, hi = num_ranges();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (CompareKeyTo(lows_, mid) >= 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo > 0 && CompareKeyTo(highs_, lo - 1) < 0;
}

}  // namespace aviary::mongo
