#include "storage/mongo/sort_limit.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <utility>

#include "storage/mongo/bson_walk.h"
#include "storage/mongo/handles.h"
#include "storage/mongo/shard_key.h"

namespace aviary::mongo {
namespace {

// A direction as MongoDB takes it: 1 or -1 as any number type.
template <typename T>
T Read(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // BSON is little-endian, as every host Aviary runs on
  return v;
}

bool ParseDirection(const BsonElement& e, int* out) {
  double d = 0;
  if (e.type == 0x10) {
    d = Read<int32_t>(e.payload);
  } else if (e.type == 0x12) {
    d = static_cast<double>(Read<int64_t>(e.payload));
  } else if (e.type == 0x01) {
    d = Read<double>(e.payload);
  } else {
    return false;
  }
  if (d != 1 && d != -1) return false;
  *out = d > 0 ? 1 : -1;
  return true;
}

// The value at `path`, null when missing (MongoDB sorts a missing field as null).
ValueView SortValue(std::string_view doc, std::string_view path) {
  BsonElement e;
  if (!FindPath(doc.data(), doc.size(), path, &e)) return ValueView::Null();
  return e.view();
}

}  // namespace

StatusOr<SortSpec> ParseSort(std::string_view bson) {
  SortSpec sort;
  BsonWalker walker(bson.data(), bson.size());
  BsonElement e;
  while (walker.Next(&e)) {
    int direction = 0;
    if (!ParseDirection(e, &direction)) {
      return InvalidArgument("--sort: the direction of '" + std::string(e.name) + "' must be 1 or -1");
    }
    sort.fields.emplace_back(e.name);
    sort.directions.push_back(direction);
  }
  if (walker.malformed()) return InvalidArgument("--sort is not a valid document");
  if (sort.fields.empty()) return InvalidArgument("--sort names no field");
  return sort;
}

StatusOr<int64_t> ParseLimit(std::string_view text) {
  int64_t limit = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, limit);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return InvalidArgument("--limit must be a non-negative integer, not '" + std::string(text) + "'");
  }
  if (limit < 0) return InvalidArgument("--limit must be a non-negative integer, not " + std::string(text));
  return limit;
}

int CompareForSort(const SortSpec& sort, std::string_view a, std::string_view b) {
  for (size_t i = 0; i < sort.fields.size(); ++i) {
    const int c = CompareKeyValues(SortValue(a, sort.fields[i]), SortValue(b, sort.fields[i]));
    if (c != 0) return c * sort.directions[i];
  }
  return CompareKeyValues(SortValue(a, "_id"), SortValue(b, "_id"));
}

std::string SortDocument(const SortSpec& sort) {
  ScopedBson doc;
  bool has_id = false;
  for (size_t i = 0; i < sort.fields.size(); ++i) {
    BSON_APPEND_INT32(doc.get(), sort.fields[i].c_str(), sort.directions[i]);
    has_id = has_id || sort.fields[i] == "_id";
  }
  if (!has_id) BSON_APPEND_INT32(doc.get(), "_id", 1);
  return std::string(doc.bytes());
}

std::vector<Candidate> FirstInOrder(const SortSpec& sort, std::vector<Candidate> candidates, int64_t limit) {
  std::sort(candidates.begin(), candidates.end(),
            [&sort](const Candidate& a, const Candidate& b) { return CompareForSort(sort, a.doc, b.doc) < 0; });
  if (static_cast<int64_t>(candidates.size()) > limit) candidates.resize(static_cast<size_t>(limit));
  return candidates;
}

void ShardFirst::Add(std::string doc) {
  if (!docs_.empty() && CompareForSort(*sort_, docs_.back(), doc) > 0) ordered_ = false;
  docs_.push_back(std::move(doc));
}

std::vector<std::string> ShardFirst::Take() {
  if (!ordered_) {
    std::sort(docs_.begin(), docs_.end(),
              [this](const std::string& a, const std::string& b) { return CompareForSort(*sort_, a, b) < 0; });
  }
  if (static_cast<int64_t>(docs_.size()) > limit_) docs_.resize(static_cast<size_t>(limit_));
  return std::move(docs_);
}

}  // namespace aviary::mongo
