#include "gateway/router/merge.h"

#include <algorithm>
#include <set>

#include "storage/mongo/bson_walk.h"
#include "storage/mongo/handles.h"
#include "storage/mongo/shard_key.h"

namespace aviary::gateway::router {
namespace {

using mongo::BsonView;
using mongo::ScopedBson;

bool Truthy(const bson_iter_t* it) {
  if (BSON_ITER_HOLDS_BOOL(it)) return bson_iter_bool(it);
  if (BSON_ITER_HOLDS_NUMBER(it)) return bson_iter_as_double(it) != 0;
  return true;  // an operator ($slice, $elemMatch) or an expression: includes
}

bool IsInclusion(const bson_t* user) {
  bson_iter_t it;
  if (!bson_iter_init(&it, user)) return false;
  while (bson_iter_next(&it)) {
    if (std::string_view(bson_iter_key(&it)) != "_id" && Truthy(&it)) return true;
  }
  return false;
}

std::string TopOf(std::string_view path) { return std::string(path.substr(0, path.find('.'))); }

}  // namespace

ProjectionPlan PlanProjection(std::string_view user, const std::vector<std::string>& needed) {
  ProjectionPlan plan;
  if (user.size() <= 5) return plan;  // no projection, or {}: whole documents
  BsonView view(user);
  const bool inclusion = IsInclusion(view.get());
  std::set<std::string> need, satisfied;
  for (const std::string& n : needed) need.insert(TopOf(n));
  ScopedBson out;
  bson_iter_t it;
  bson_iter_init(&it, view.get());
  while (bson_iter_next(&it)) {
    const std::string key = bson_iter_key(&it);
    if (need.count(key)) {
      if (!Truthy(&it)) {  // excluded (or _id: 0): the shard must send it, the gateway strips it
        plan.strip.push_back(key);
        continue;
      }
      satisfied.insert(key);
    }
    bson_append_iter(out.get(), key.c_str(), -1, &it);
  }
  if (inclusion) {
    for (const std::string& n : need) {
      // _id comes unless excluded (handled above).
      if (n == "_id" || satisfied.count(n) || std::find(plan.strip.begin(), plan.strip.end(), n) != plan.strip.end()) continue;
      BSON_APPEND_INT32(out.get(), n.c_str(), 1);
      plan.strip.push_back(n);
    }
  }
  plan.shard_projection = std::string(out.bytes());
  return plan;
}

std::string Strip(std::string_view doc, const std::vector<std::string>& strip) {
  if (strip.empty()) return std::string(doc);
  BsonView view(doc);
  ScopedBson out;
  bson_iter_t it;
  bson_iter_init(&it, view.get());
  while (bson_iter_next(&it)) {
    if (std::find(strip.begin(), strip.end(), bson_iter_key(&it)) == strip.end()) {
      bson_append_iter(out.get(), bson_iter_key(&it), -1, &it);
    }
  }
  return std::string(out.bytes());
}

std::vector<std::string> MergeSorted(const std::optional<mongo::SortSpec>& sort, std::vector<mongo::Candidate> docs,
                                     int64_t skip, int64_t limit) {
  const int64_t keep = limit > 0 ? skip + limit : INT64_MAX;
  if (sort) {
    docs = mongo::FirstInOrder(*sort, std::move(docs), keep);
  } else if (static_cast<int64_t>(docs.size()) > keep) {
    docs.resize(static_cast<size_t>(keep));
  }
  std::vector<std::string> out;
  for (size_t i = static_cast<size_t>(std::min<int64_t>(skip, static_cast<int64_t>(docs.size()))); i < docs.size(); ++i) {
    out.push_back(std::move(docs[i].doc));
  }
  return out;
}

void AppendSum(const bson_iter_t* a, const bson_iter_t* b, const char* key, bson_t* out) {
  auto is_int = [](const bson_iter_t* it) { return BSON_ITER_HOLDS_INT32(it) || BSON_ITER_HOLDS_INT64(it); };
  auto num = [](const bson_iter_t* it) { return BSON_ITER_HOLDS_NUMBER(it); };
  const bool ints = (!num(a) || is_int(a)) && (!num(b) || is_int(b));
  if (ints) {
    const int64_t x = num(a) ? bson_iter_as_int64(a) : 0, y = num(b) ? bson_iter_as_int64(b) : 0;
    int64_t sum = 0;
    if (!__builtin_add_overflow(x, y, &sum)) {
      const bool narrow = BSON_ITER_HOLDS_INT32(a) && BSON_ITER_HOLDS_INT32(b) && sum >= INT32_MIN && sum <= INT32_MAX;
      if (narrow) {
        BSON_APPEND_INT32(out, key, static_cast<int32_t>(sum));
      } else {
        BSON_APPEND_INT64(out, key, sum);
      }
      return;
    }
  }
  BSON_APPEND_DOUBLE(out, key, (num(a) ? bson_iter_as_double(a) : 0) + (num(b) ? bson_iter_as_double(b) : 0));
}

namespace {

mongo::BsonElement IdOf(const std::string& doc) {
  mongo::BsonElement e;
  if (!mongo::FindPath(doc.data(), doc.size(), "_id", &e)) e = mongo::BsonElement{};  // missing: null
  return e;
}

// `base` with every field but _id summed with the same field of `more`.
std::string AddGroups(const std::string& base, const std::string& more) {
  BsonView a(base), b(more);
  ScopedBson out;
  bson_iter_t it;
  bson_iter_init(&it, a.get());
  while (bson_iter_next(&it)) {
    const char* key = bson_iter_key(&it);
    bson_iter_t other;
    if (std::string_view(key) == "_id" || !bson_iter_init_find(&other, b.get(), key)) {
      bson_append_iter(out.get(), key, -1, &it);
    } else {
      AppendSum(&it, &other, key, out.get());
    }
  }
  return std::string(out.bytes());
}

}  // namespace

std::vector<std::string> MergeGroups(const std::vector<std::string>& partials) {
  std::vector<std::string> out;
  auto id_less = [&out](size_t a, size_t b) {
    const mongo::BsonElement x = IdOf(out[a]), y = IdOf(out[b]);
    const ValueView vx = x.payload == nullptr ? ValueView::Null() : x.view();
    const ValueView vy = y.payload == nullptr ? ValueView::Null() : y.view();
    return mongo::CompareKeyValues(vx, vy) < 0;
  };
  std::set<size_t, decltype(id_less)> seen(id_less);  // indices into `out`, by _id
  for (const std::string& p : partials) {
    out.push_back(p);  // a probe: compared by index like every other entry
    auto found = seen.find(out.size() - 1);
    if (found == seen.end()) {
      seen.insert(out.size() - 1);
    } else {
      out[*found] = AddGroups(out[*found], p);
      out.pop_back();
    }
  }
  return out;
}

}  // namespace aviary::gateway::router
