#include "loader/load_chunks.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "storage/mongo/bson_walk.h"
#include "storage/mongo/key_pattern.h"
#include "storage/mongo/shard_key.h"

namespace aviary::loader {
namespace {

constexpr uint8_t kBsonArray = 0x04;

void AssignRoundRobin(ChunkPlan* plan, int shards) {
  plan->owner.clear();
  for (size_t i = 0; i <= plan->splits.size(); ++i) plan->owner.push_back(static_cast<int>(i % shards));
}

// Appends `value` under `field`, from the ValueView layout (string characters, else the raw
// BSON payload) back to a BSON element.
void AppendValue(bson_t* out, const char* field, ValueView value) {
  if (value.is_string()) {
    bson_append_utf8(out, field, -1, value.data(), static_cast<int>(value.size()));
    return;
  }
  std::string raw(4, '\0');
  raw.push_back(static_cast<char>(value.type()));
  raw.append(field);
  raw.push_back('\0');
  raw.append(value.data() == nullptr ? "" : std::string(value.data(), value.size()));
  raw.push_back('\0');
  const int32_t len = static_cast<int32_t>(raw.size());
  std::memcpy(raw.data(), &len, 4);
  bson_t element;
  if (bson_init_static(&element, reinterpret_cast<const uint8_t*>(raw.data()), raw.size())) bson_concat(out, &element);
}

bool KeyLess(ValueView a, ValueView b) { return mongo::CompareKeyValues(a, b) < 0; }

}  // namespace

std::vector<int64_t> HashedSplitPoints(int chunks) {
  std::vector<int64_t> points;
  if (chunks <= 1) return points;
  const int64_t interval = (std::numeric_limits<int64_t>::max() / chunks) * 2;
  int64_t current = 0;
  if (chunks % 2 == 0) {
    points.push_back(current);
    current += interval;
  } else {
    current += interval / 2;
  }
  for (int i = 0; i < (chunks - 1) / 2; ++i) {
    points.push_back(current);
    points.push_back(-current);
    current += interval;
  }
  std::sort(points.begin(), points.end());
  return points;
}

ChunkPlan PlanHashedChunks(const std::string& field, int chunks, int shards) {
  ChunkPlan plan;
  plan.field = field;
  plan.hashed = true;
  for (int64_t p : HashedSplitPoints(chunks)) plan.splits.push_back(Value::Int64(p));
  AssignRoundRobin(&plan, shards);
  return plan;
}

ChunkPlan PlanRangedChunks(const std::string& field, std::vector<ValueView> keys, int chunks, int shards) {
  ChunkPlan plan;
  plan.field = field;
  std::sort(keys.begin(), keys.end(), KeyLess);
  const size_t n = keys.size();
  for (size_t i = 1; i < static_cast<size_t>(chunks) && n > 0; ++i) {
    const ValueView candidate = keys[i * n / static_cast<size_t>(chunks)];
    if (mongo::CompareKeyValues(candidate, keys.front()) <= 0) continue;  // chunk would hold nothing
    if (!plan.splits.empty() && mongo::CompareKeyValues(candidate, plan.splits.back().view()) <= 0) continue;
    plan.splits.emplace_back(candidate);
  }
  AssignRoundRobin(&plan, shards);
  return plan;
}

size_t ChunkOf(const ChunkPlan& plan, ValueView key) {
  if (plan.hashed) {
    const int64_t h = mongo::HashedShardKeyValue(key);
    auto it = std::upper_bound(plan.splits.begin(), plan.splits.end(), h,
                               [](int64_t v, const Value& split) { return v < split.view().as_int(); });
    return static_cast<size_t>(it - plan.splits.begin());
  }
  auto it = std::upper_bound(plan.splits.begin(), plan.splits.end(), key,
                             [](ValueView v, const Value& split) { return KeyLess(v, split.view()); });
  return static_cast<size_t>(it - plan.splits.begin());
}

StatusOr<ValueView> ShardKeyOf(std::string_view doc, const std::string& field) {
  mongo::BsonElement e;
  if (!mongo::FindPath(doc.data(), doc.size(), field, &e)) return ValueView::Null();
  if (e.type == kBsonArray) return InvalidArgument("shard key field '" + field + "' holds an array, which MongoDB forbids");
  return e.view();
}

void AppendBound(bson_t* out, const ChunkPlan& plan, size_t chunk, bool max) {
  const bool open_end = max ? chunk >= plan.splits.size() : chunk == 0;
  if (open_end) {
    mongo::AppendStorableMinMaxKey(out, plan.field.c_str(), max);
    return;
  }
  const Value& bound = plan.splits[max ? chunk : chunk - 1];
  if (plan.hashed) {
    bson_append_int64(out, plan.field.c_str(), -1, bound.view().as_int());
  } else {
    AppendValue(out, plan.field.c_str(), bound.view());
  }
}

void AppendKeyPattern(bson_t* out, const ChunkPlan& plan) {
  if (plan.hashed) {
    bson_append_utf8(out, plan.field.c_str(), -1, "hashed", -1);
  } else {
    bson_append_int32(out, plan.field.c_str(), -1, 1);
  }
}

Status CheckShardKeyField(const std::string& field) {
  if (field.empty()) return InvalidArgument("--shard-key must name a field");
  if (field.find('.') != std::string::npos) {
    return InvalidArgument("--shard-key '" + field +
                           "': only top-level fields can be shard keys here (FerretDB stores no field names "
                           "containing '.', so chunk bounds on a dotted path cannot be recorded)");
  }
  if (field.front() == '$') return InvalidArgument("--shard-key '" + field + "' must not start with '$'");
  return Status::OK();
}

}  // namespace aviary::loader
