// aggregate on a sharded collection, split as mongos splits it: the shards run the pipeline up
// to its first blocking stage ($group as partial sums, or $sort with the limit it allows) after
// their orphans are excluded by _id; the gateway merges and runs the rest ($group merge, $sort,
// $skip, $limit, $count, plain $project).
#include <algorithm>
#include <iterator>
#include <optional>

#include "gateway/router/commands.h"
#include "gateway/router/merge.h"
#include "storage/mongo/handles.h"
#include "storage/mongo/sort_limit.h"

namespace aviary::gateway::router {
namespace {

using mongo::BsonView;
using mongo::ScopedBson;

struct Stage {
  std::string name;  // "$match", ...
  std::string doc;   // the whole stage document {$name: spec}
  bson_iter_t spec(const BsonView& v) const {
    bson_iter_t it;
    bson_iter_init(&it, v.get());
    bson_iter_next(&it);
    return it;
  }
};

bool PerDocument(const std::string& name) { return name == "$match" || name == "$project" || name == "$unwind"; }

struct Split {
  std::vector<std::string> shard;  // the stage documents the shards run
  std::vector<Stage> gateway;      // what the gateway runs on the merged result
  bool merge_groups = false;
};

struct Failure {
  int code;
  std::string message;
};

// $group with $sum or $count accumulators, as shards compute it partially ($count: {} becomes
// {$sum: 1}, summed again in the gateway).
std::optional<Failure> PartialGroup(const Stage& stage, std::string* out) {
  BsonView v(stage.doc);
  bson_iter_t spec = stage.spec(v), fields;
  if (!BSON_ITER_HOLDS_DOCUMENT(&spec) || !bson_iter_recurse(&spec, &fields)) return Failure{15955, "$group needs a document"};
  ScopedBson group, doc;
  while (bson_iter_next(&fields)) {
    const std::string key = bson_iter_key(&fields);
    bson_iter_t acc;
    if (key == "_id") {
      bson_append_iter(group.get(), "_id", -1, &fields);
      continue;
    }
    if (!BSON_ITER_HOLDS_DOCUMENT(&fields) || !bson_iter_recurse(&fields, &acc) || !bson_iter_next(&acc)) {
      return Failure{40234, "the field '" + key + "' must be an accumulator object"};
    }
    const std::string op = bson_iter_key(&acc);
    if (op == "$sum") {
      bson_append_iter(group.get(), key.c_str(), -1, &fields);
    } else if (op == "$count") {
      bson_t sum;
      BSON_APPEND_DOCUMENT_BEGIN(group.get(), key.c_str(), &sum);
      BSON_APPEND_INT32(&sum, "$sum", 1);
      bson_append_document_end(group.get(), &sum);
    } else {
      return Failure{115, "the local cluster's router merges $group only with $sum and $count (as FerretDB computes), not " + op};
    }
  }
  BSON_APPEND_DOCUMENT(doc.get(), "$group", group.get());
  *out = std::string(doc.bytes());
  return std::nullopt;
}

// The $limit the shards may apply when the merged $sort is followed by $skip/$limit stages.
int64_t LimitAfterSort(const std::vector<Stage>& stages, size_t sort_at) {
  int64_t skipped = 0;
  for (size_t i = sort_at + 1; i < stages.size(); ++i) {
    BsonView v(stages[i].doc);
    bson_iter_t spec = stages[i].spec(v);
    if (stages[i].name == "$skip") {
      skipped += bson_iter_as_int64(&spec);
    } else if (stages[i].name == "$limit") {
      return skipped + bson_iter_as_int64(&spec);
    } else {
      return 0;
    }
  }
  return 0;
}

std::optional<Failure> SplitPipeline(const std::vector<Stage>& stages, Split* split) {
  size_t b = 0;
  while (b < stages.size() && PerDocument(stages[b].name)) split->shard.push_back(stages[b++].doc);
  if (b == stages.size()) return std::nullopt;
  if (stages[b].name == "$group") {
    std::string partial;
    if (auto f = PartialGroup(stages[b], &partial)) return f;
    split->shard.push_back(partial);
    split->merge_groups = true;
    ++b;
  } else if (stages[b].name == "$sort") {
    split->shard.push_back(stages[b].doc);
    if (const int64_t k = LimitAfterSort(stages, b); k > 0) {
      ScopedBson limit;
      BSON_APPEND_INT64(limit.get(), "$limit", k);
      split->shard.push_back(std::string(limit.bytes()));
    }
  } else if (stages[b].name == "$limit") {
    split->shard.push_back(stages[b].doc);
  }
  split->gateway.assign(stages.begin() + static_cast<long>(b), stages.end());
  return std::nullopt;
}

std::optional<Failure> Project(const bson_iter_t* spec, std::vector<std::string>* docs) {
  bson_iter_t f;
  if (!BSON_ITER_HOLDS_DOCUMENT(spec) || !bson_iter_recurse(spec, &f)) return Failure{15969, "$project needs a document"};
  std::vector<std::string> include, exclude;
  bool keep_id = true;
  while (bson_iter_next(&f)) {
    const std::string key = bson_iter_key(&f);
    if (!(BSON_ITER_HOLDS_BOOL(&f) || BSON_ITER_HOLDS_NUMBER(&f)) || key.find('.') != std::string::npos) {
      return Failure{115, "after a $group or $sort the local cluster's router runs only plain $project {field: 0|1}"};
    }
    const bool on = bson_iter_as_bool(&f);
    if (key == "_id") {
      keep_id = on;
    } else {
      (on ? include : exclude).push_back(key);
    }
  }
  for (std::string& d : *docs) {
    BsonView v(d);
    ScopedBson out;
    bson_iter_t it;
    bson_iter_init(&it, v.get());
    while (bson_iter_next(&it)) {
      const std::string key = bson_iter_key(&it);
      const bool keep = key == "_id" ? keep_id
                                     : (include.empty() ? std::find(exclude.begin(), exclude.end(), key) == exclude.end()
                                                        : std::find(include.begin(), include.end(), key) != include.end());
      if (keep) bson_append_iter(out.get(), key.c_str(), -1, &it);
    }
    d = std::string(out.bytes());
  }
  return std::nullopt;
}

std::optional<Failure> RunStage(const Stage& stage, std::vector<std::string>* docs) {
  BsonView v(stage.doc);
  bson_iter_t spec = stage.spec(v);
  if (stage.name == "$sort") {
    uint32_t len = 0;
    const uint8_t* data = nullptr;
    if (!BSON_ITER_HOLDS_DOCUMENT(&spec)) return Failure{15973, "$sort needs a document"};
    bson_iter_document(&spec, &len, &data);
    StatusOr<mongo::SortSpec> sort = mongo::ParseSort(std::string_view(reinterpret_cast<const char*>(data), len));
    if (!sort.ok()) return Failure{15974, sort.status().message()};
    std::stable_sort(docs->begin(), docs->end(),
                     [&](const std::string& a, const std::string& b) { return mongo::CompareForSort(*sort, a, b) < 0; });
  } else if (stage.name == "$skip" || stage.name == "$limit") {
    const auto n = static_cast<size_t>(std::max<int64_t>(0, bson_iter_as_int64(&spec)));
    if (stage.name == "$skip") {
      docs->erase(docs->begin(), docs->begin() + static_cast<long>(std::min(n, docs->size())));
    } else if (docs->size() > n) {
      docs->resize(n);
    }
  } else if (stage.name == "$count") {
    if (!BSON_ITER_HOLDS_UTF8(&spec)) return Failure{40156, "$count needs a field name"};
    const size_t n = docs->size();
    docs->clear();
    if (n > 0) {
      ScopedBson d;
      BSON_APPEND_INT32(d.get(), bson_iter_utf8(&spec, nullptr), static_cast<int32_t>(n));
      docs->push_back(std::string(d.bytes()));
    }
  } else if (stage.name == "$project") {
    return Project(&spec, docs);
  } else {
    return Failure{115, "the local cluster's router cannot run " + stage.name +
                            " after a $group, $sort, $skip or $limit; put it before them"};
  }
  return std::nullopt;
}

std::optional<Failure> ReadStages(const bson_t* command, std::vector<Stage>* stages) {
  bson_iter_t it, arr;
  if (!bson_iter_init_find(&it, command, "pipeline") || !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr)) {
    return Failure{14, "'pipeline' must be an array"};
  }
  while (bson_iter_next(&arr)) {
    bson_iter_t inner;
    if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &inner) || !bson_iter_next(&inner)) {
      return Failure{40323, "each pipeline stage must be a document with one field"};
    }
    uint32_t len = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&arr, &len, &data);
    stages->push_back({bson_iter_key(&inner), std::string(reinterpret_cast<const char*>(data), len)});
  }
  return std::nullopt;
}

// The filter of the pipeline's leading $match ({} if it has none): what a shard must scan.
std::string LeadingMatch(const std::vector<Stage>& stages) {
  const bool leading_match = !stages.empty() && stages[0].name == "$match";
  BsonView first(leading_match ? std::string_view(stages[0].doc) : std::string_view("\x05\0\0\0\0", 5));
  return std::string(SubDocument(first.get(), "$match"));
}

// {$match: {_id: {$nin: [orphans of `shard`]}}}, or "" when the shard has none. Scans what the
// pipeline's leading $match selects, with only the shard key and _id.
StatusOr<std::string> OrphanExclusion(Context& ctx, size_t shard, const std::vector<Stage>& stages, int* code) {
  const std::string leading = LeadingMatch(stages);
  BsonView filter(leading);
  ScopedBson opts, proj, all;
  BSON_APPEND_INT32(proj.get(), "_id", 1);
  for (const std::string& f : ctx.route.KeyTopFields()) {
    if (f != "_id") BSON_APPEND_INT32(proj.get(), f.c_str(), 1);  // a repeated field makes FerretDB panic
  }
  BSON_APPEND_DOCUMENT(opts.get(), "projection", proj.get());
  // Every match of this shard, owned or not: the owned ones are dropped below.
  ASSIGN_OR_RETURN(PooledClient client, ctx.clients.Get(ctx.ShardUri(shard)));
  mongo::CollectionPtr coll(mongoc_client_get_collection(client.get(), ctx.db.c_str(), ctx.coll.c_str()));
  mongo::CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
  ScopedBson ids;
  size_t n = 0;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    bson_iter_t id;
    if (!ctx.route.Owns(shard, mongo::BsonBytes(doc)) && bson_iter_init_find(&id, doc, "_id")) {
      bson_append_iter(ids.get(), std::to_string(n++).c_str(), -1, &id);
    }
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    *code = error.domain == MONGOC_ERROR_SERVER ? static_cast<int>(error.code) : 0;
    return mongo::StatusFromBsonError(error, "shard " + ctx.route.topology().shards[shard].name);
  }
  if (n == 0) return std::string();
  ScopedBson stage, match, id, nin;
  BSON_APPEND_ARRAY(nin.get(), "$nin", ids.get());
  BSON_APPEND_DOCUMENT(id.get(), "_id", nin.get());
  BSON_APPEND_DOCUMENT(stage.get(), "$match", id.get());
  return std::string(stage.bytes());
}

Status RunShardPipeline(Context& ctx, size_t shard, const std::vector<std::string>& pipeline, int* code,
                        std::vector<std::string>* out) {
  ScopedBson command, stages, cursor;
  BSON_APPEND_UTF8(command.get(), "aggregate", ctx.coll.c_str());
  for (size_t i = 0; i < pipeline.size(); ++i) {
    BsonView s(pipeline[i]);
    BSON_APPEND_DOCUMENT(stages.get(), std::to_string(i).c_str(), s.get());
  }
  ScopedBson pipe;
  BSON_APPEND_ARRAY(pipe.get(), "pipeline", stages.get());
  ASSIGN_OR_RETURN(PooledClient client, ctx.clients.Get(ctx.ShardUri(shard)));
  mongo::CollectionPtr coll(mongoc_client_get_collection(client.get(), ctx.db.c_str(), ctx.coll.c_str()));
  mongo::CursorPtr c(mongoc_collection_aggregate(coll.get(), MONGOC_QUERY_NONE, pipe.get(), nullptr, nullptr));
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(c.get(), &doc)) out->push_back(std::string(mongo::BsonBytes(doc)));
  bson_error_t error;
  if (mongoc_cursor_error(c.get(), &error)) {
    *code = error.domain == MONGOC_ERROR_SERVER ? static_cast<int>(error.code) : 0;
    return mongo::StatusFromBsonError(error, "shard " + ctx.route.topology().shards[shard].name);
  }
  return Status::OK();
}

}  // namespace

void Aggregate(Context& ctx, const bson_t* command, bson_t* reply) {
  std::vector<Stage> stages;
  Split split;
  if (auto f = ReadStages(command, &stages); f) return ErrorReply(f->code, "", f->message, reply);
  if (auto f = SplitPipeline(stages, &split); f) return ErrorReply(f->code, "", f->message, reply);
  const std::string match_filter = LeadingMatch(stages);
  BsonView match(match_filter);
  std::vector<std::vector<std::string>> of_shard(ctx.route.num_shards());
  int code = 0;
  Status st = ForEachShard(TargetShards(ctx, match.get()), [&](size_t s, int* shard_code) {
    ASSIGN_OR_RETURN(std::string exclusion, OrphanExclusion(ctx, s, stages, shard_code));
    std::vector<std::string> pipeline = split.shard;
    if (!exclusion.empty()) pipeline.insert(pipeline.begin(), exclusion);
    return RunShardPipeline(ctx, s, pipeline, shard_code, &of_shard[s]);
  }, &code);
  if (!st.ok()) return ErrorReply(st, code, reply);
  std::vector<std::string> docs;
  for (std::vector<std::string>& d : of_shard) std::move(d.begin(), d.end(), std::back_inserter(docs));
  if (split.merge_groups) docs = MergeGroups(docs);
  for (const Stage& stage : split.gateway) {
    if (auto f = RunStage(stage, &docs); f) return ErrorReply(f->code, "", f->message, reply);
  }
  BsonView cursor(SubDocument(command, "cursor"));
  ctx.cursors.Open(ctx.ns(), std::move(docs), IntField(cursor.get(), "batchSize", 0), false, reply);
}

}  // namespace aviary::gateway::router
