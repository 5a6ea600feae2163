// find, count and distinct: scattered to every shard, orphans dropped, merged in the gateway.
#include <atomic>
#include <iterator>
#include <optional>
#include <set>

#include "gateway/router/commands.h"
#include "gateway/router/merge.h"
#include "storage/mongo/bson_walk.h"
#include "storage/mongo/handles.h"
#include "storage/mongo/shard_key.h"
#include "storage/mongo/sort_limit.h"

namespace aviary::gateway::router {
namespace {

using mongo::BsonView;
using mongo::ScopedBson;

// The results of all shards are held in the gateway until the cursor is read: a bound, so one
// query cannot take the gateway's memory.
constexpr size_t kMaxResultBytes = 512u << 20;

std::vector<std::string> SortTopFields(const std::optional<mongo::SortSpec>& sort) {
  std::vector<std::string> out;
  if (sort) {
    for (const std::string& f : sort->fields) out.push_back(f.substr(0, f.find('.')));
  }
  return out;
}

// {f: 1} for each top-level shard key field: all an orphan check needs.
void AppendKeyProjection(const Route& route, const std::vector<std::string>& extra, bson_t* out) {
  bson_t proj;
  BSON_APPEND_DOCUMENT_BEGIN(out, "projection", &proj);
  std::set<std::string> fields(extra.begin(), extra.end());
  for (const std::string& f : route.KeyTopFields()) fields.insert(f);
  for (const std::string& f : fields) BSON_APPEND_INT32(&proj, f.c_str(), 1);
  bson_append_document_end(out, &proj);
}

void AppendDocument(bson_t* out, const char* key, std::string_view bytes) {
  BsonView doc(bytes);
  bson_append_document(out, key, -1, doc.get());
}

}  // namespace

void Find(Context& ctx, const bson_t* command, bson_t* reply) {
  BsonView filter(SubDocument(command, "filter"));
  const std::string_view sort_doc = SubDocument(command, "sort");
  std::optional<mongo::SortSpec> sort;
  if (sort_doc.size() > 5) {
    StatusOr<mongo::SortSpec> parsed = mongo::ParseSort(sort_doc);
    if (!parsed.ok()) return ErrorReply(2, "BadValue", parsed.status().message(), reply);
    sort = std::move(*parsed);
  }
  const int64_t skip = std::max<int64_t>(0, IntField(command, "skip", 0));
  const int64_t limit = std::abs(IntField(command, "limit", 0));
  std::vector<std::string> needed = ctx.route.KeyTopFields();
  for (const std::string& f : SortTopFields(sort)) needed.push_back(f);
  const ProjectionPlan plan = PlanProjection(SubDocument(command, "projection"), needed);
  ScopedBson opts;
  if (!plan.shard_projection.empty()) AppendDocument(opts.get(), "projection", plan.shard_projection);
  if (sort) AppendDocument(opts.get(), "sort", sort_doc);
  if (limit > 0) BSON_APPEND_INT64(opts.get(), "limit", skip + limit);  // each shard's first skip+limit can win
  const size_t shards = ctx.route.num_shards();
  std::vector<std::vector<mongo::Candidate>> found(shards);
  std::atomic<size_t> bytes{0};
  int code = 0;
  Status st = ForEachShard(TargetShards(ctx, filter.get()), [&](size_t s, int* shard_code) {
    return ScanOwned(ctx, s, filter.get(), opts.get(), shard_code, [&, s](std::string_view doc) {
      bytes += doc.size();
      found[s].push_back({std::string(doc), s});
    });
  }, &code);
  if (!st.ok()) return ErrorReply(st, code, reply);
  if (bytes > kMaxResultBytes) {
    return ErrorReply(146, "ExceededMemoryLimit",
                      "the find's results exceed the gateway's " + std::to_string(kMaxResultBytes >> 20) +
                          " MiB for one query; add a limit or a narrower filter", reply);
  }
  std::vector<mongo::Candidate> docs;
  for (std::vector<mongo::Candidate>& of_shard : found) std::move(of_shard.begin(), of_shard.end(), std::back_inserter(docs));
  std::vector<std::string> merged = MergeSorted(sort, std::move(docs), skip, limit);
  for (std::string& d : merged) d = Strip(d, plan.strip);
  ctx.cursors.Open(ctx.ns(), std::move(merged), IntField(command, "batchSize", 0), BoolField(command, "singleBatch", false),
                   reply);
}

void Count(Context& ctx, const bson_t* command, bson_t* reply) {
  BsonView query(SubDocument(command, "query"));
  ScopedBson opts;
  AppendKeyProjection(ctx.route, {}, opts.get());
  std::atomic<int64_t> owned{0};
  int code = 0;
  Status st = ForEachShard(TargetShards(ctx, query.get()), [&](size_t s, int* shard_code) {
    return ScanOwned(ctx, s, query.get(), opts.get(), shard_code, [&](std::string_view) { ++owned; });
  }, &code);
  if (!st.ok()) return ErrorReply(st, code, reply);
  int64_t n = owned.load();
  const int64_t skip = std::max<int64_t>(0, IntField(command, "skip", 0));
  const int64_t limit = std::abs(IntField(command, "limit", 0));
  n = std::max<int64_t>(0, n - skip);
  if (limit > 0) n = std::min(n, limit);
  if (n <= INT32_MAX) {
    BSON_APPEND_INT32(reply, "n", static_cast<int32_t>(n));
  } else {
    BSON_APPEND_INT64(reply, "n", n);
  }
  BSON_APPEND_DOUBLE(reply, "ok", 1);
}

namespace {

// A distinct value, held as the one-field document {"": value}.
struct DistinctLess {
  static ValueView Of(const std::string& holder) {
    mongo::BsonWalker w(holder.data(), holder.size());
    mongo::BsonElement e;
    return w.Next(&e) ? e.view() : ValueView::Null();
  }
  bool operator()(const std::string& a, const std::string& b) const {
    return mongo::CompareKeyValues(Of(a), Of(b)) < 0;
  }
};

void AddValue(const bson_iter_t* it, std::set<std::string, DistinctLess>* values) {
  ScopedBson holder;
  bson_append_iter(holder.get(), "", 0, it);
  values->insert(std::string(holder.bytes()));
}

// Adds the value(s) at `path` of `doc`: an array's elements one by one, as distinct does.
void CollectValues(std::string_view doc, const std::string& path, std::set<std::string, DistinctLess>* values) {
  BsonView view(doc);
  bson_iter_t it;
  if (!bson_iter_init(&it, view.get()) || !bson_iter_find_descendant(&it, path.c_str(), &it)) return;
  if (BSON_ITER_HOLDS_ARRAY(&it)) {
    bson_iter_t elems;
    if (!bson_iter_recurse(&it, &elems)) return;
    while (bson_iter_next(&elems)) AddValue(&elems, values);
    return;
  }
  AddValue(&it, values);
}

}  // namespace

void Distinct(Context& ctx, const bson_t* command, bson_t* reply) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, command, "key") || !BSON_ITER_HOLDS_UTF8(&it)) {
    return ErrorReply(14, "TypeMismatch", "distinct needs a string 'key'", reply);
  }
  const std::string key = bson_iter_utf8(&it, nullptr);
  BsonView query(SubDocument(command, "query"));
  ScopedBson opts;
  AppendKeyProjection(ctx.route, {key.substr(0, key.find('.'))}, opts.get());
  std::vector<std::set<std::string, DistinctLess>> of_shard(ctx.route.num_shards());
  int code = 0;
  Status st = ForEachShard(TargetShards(ctx, query.get()), [&](size_t s, int* shard_code) {
    return ScanOwned(ctx, s, query.get(), opts.get(), shard_code,
                     [&, s](std::string_view doc) { CollectValues(doc, key, &of_shard[s]); });
  }, &code);
  if (!st.ok()) return ErrorReply(st, code, reply);
  std::set<std::string, DistinctLess> values;
  for (std::set<std::string, DistinctLess>& v : of_shard) values.merge(v);
  bson_t arr;
  BSON_APPEND_ARRAY_BEGIN(reply, "values", &arr);
  size_t i = 0;
  for (const std::string& v : values) {
    BsonView holder(v);
    bson_iter_t value;
    if (bson_iter_init(&value, holder.get()) && bson_iter_next(&value)) {
      bson_append_iter(&arr, std::to_string(i++).c_str(), -1, &value);
    }
  }
  bson_append_array_end(reply, &arr);
  BSON_APPEND_DOUBLE(reply, "ok", 1);
}

}  // namespace aviary::gateway::router
