// insert, update and delete on a sharded collection: each document or statement goes to the
// shard that owns its shard key. A statement whose query does not pin the key is applied, on
// each shard, to that shard's owned matches only (their _ids found first), so orphans are never
// written and a single-document statement changes one document in the whole cluster.
#include <algorithm>

#include "gateway/router/commands.h"
#include "storage/mongo/handles.h"

namespace aviary::gateway::router {
namespace {

using mongo::BsonView;
using mongo::ScopedBson;

constexpr int kShardKeyNotFound = 61;

// What the statements of one command did, merged into one reply.
struct WriteResult {
  int64_t n = 0;
  int64_t modified = 0;
  bool is_update = false;
  ScopedBson upserted;      // [{index, _id}]
  size_t num_upserted = 0;
  std::vector<std::pair<size_t, std::string>> errors;  // (index, {index, code, errmsg} bytes)

  void AddError(size_t index, int code, const std::string& message) {
    ScopedBson e;
    BSON_APPEND_INT32(e.get(), "index", static_cast<int32_t>(index));
    BSON_APPEND_INT32(e.get(), "code", code);
    BSON_APPEND_UTF8(e.get(), "errmsg", message.c_str());
    errors.emplace_back(index, std::string(e.bytes()));
  }

  // Takes over a shard's reply to statements `indices` (its indices are positions in them).
  bool Absorb(const bson_t* reply, const std::vector<size_t>& indices) {
    n += IntField(reply, "n", 0);
    modified += IntField(reply, "nModified", 0);
    bool failed = false;
    for (const char* field : {"writeErrors", "upserted"}) {
      bson_iter_t it, arr;
      if (!bson_iter_init_find(&it, reply, field) || !bson_iter_recurse(&it, &arr)) continue;
      while (bson_iter_next(&arr)) {
        bson_iter_t doc;
        if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &doc)) continue;
        ScopedBson out;
        size_t index = 0;
        while (bson_iter_next(&doc)) {
          if (std::string_view(bson_iter_key(&doc)) == "index") {
            const auto i = static_cast<size_t>(bson_iter_as_int64(&doc));
            index = i < indices.size() ? indices[i] : i;
            BSON_APPEND_INT32(out.get(), "index", static_cast<int32_t>(index));
          } else {
            bson_append_iter(out.get(), bson_iter_key(&doc), -1, &doc);
          }
        }
        if (field[0] == 'w') {
          errors.emplace_back(index, std::string(out.bytes()));
          failed = true;
        } else {
          // The BSON_APPEND macros evaluate the key twice: never put a side effect in it.
          const std::string key = std::to_string(num_upserted++);
          BSON_APPEND_DOCUMENT(upserted.get(), key.c_str(), out.get());
        }
      }
    }
    return !failed;
  }

  void Reply(bson_t* reply) {
    BSON_APPEND_INT32(reply, "n", static_cast<int32_t>(n));
    if (is_update) BSON_APPEND_INT32(reply, "nModified", static_cast<int32_t>(modified));
    if (num_upserted > 0) BSON_APPEND_ARRAY(reply, "upserted", upserted.get());
    if (!errors.empty()) {
      std::stable_sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      bson_t arr;
      BSON_APPEND_ARRAY_BEGIN(reply, "writeErrors", &arr);
      for (size_t i = 0; i < errors.size(); ++i) {
        BsonView e(errors[i].second);
        BSON_APPEND_DOCUMENT(&arr, std::to_string(i).c_str(), e.get());
      }
      bson_append_array_end(reply, &arr);
    }
    BSON_APPEND_DOUBLE(reply, "ok", 1);
  }
};

// Sends {verb: coll, field: docs, ordered} to one shard; the shard's statement i is reported as
// statement `report[i]` of the client's command. A refused command (ok: 0) fails every
// statement in it. False when any failed.
bool SendBatch(Context& ctx, size_t shard, const char* verb, const char* field, const std::vector<std::string_view>& docs,
               const std::vector<size_t>& report, bool ordered, WriteResult* result) {
  ScopedBson command, arr, reply;
  BSON_APPEND_UTF8(command.get(), verb, ctx.coll.c_str());
  for (size_t i = 0; i < docs.size(); ++i) {
    BsonView d(docs[i]);
    BSON_APPEND_DOCUMENT(arr.get(), std::to_string(i).c_str(), d.get());
  }
  BSON_APPEND_ARRAY(command.get(), field, arr.get());
  BSON_APPEND_BOOL(command.get(), "ordered", ordered);
  int code = 0;
  Status st = RunOnShard(ctx, shard, command.get(), reply.get(), &code);
  if (!st.ok()) {
    for (size_t i : report) result->AddError(i, code > 0 ? code : 1, st.message());
    return false;
  }
  return result->Absorb(reply.get(), report);
}

// `doc` with an ObjectId _id first when it has none (the shard key may be _id; drivers add it).
std::string WithId(std::string_view doc) {
  BsonView view(doc);
  if (bson_has_field(view.get(), "_id")) return std::string(doc);
  ScopedBson out;
  bson_oid_t oid;
  bson_oid_init(&oid, nullptr);
  BSON_APPEND_OID(out.get(), "_id", &oid);
  bson_concat(out.get(), view.get());
  return std::string(out.bytes());
}

// The _ids of the documents shard `shard` owns among those `query` matches (the first only for
// a single-document statement), as an array.
Status OwnedIds(Context& ctx, size_t shard, const bson_t* query, bool first_only, bson_t* ids, size_t* n, int* code) {
  ScopedBson opts, proj;
  BSON_APPEND_INT32(proj.get(), "_id", 1);
  for (const std::string& f : ctx.route.KeyTopFields()) {
    if (f != "_id") BSON_APPEND_INT32(proj.get(), f.c_str(), 1);  // a repeated field makes FerretDB panic
  }
  BSON_APPEND_DOCUMENT(opts.get(), "projection", proj.get());
  return ScanOwned(ctx, shard, query, opts.get(), code, [&](std::string_view doc) {
    if (first_only && *n > 0) return;
    BsonView d(doc);
    bson_iter_t id;
    if (bson_iter_init_find(&id, d.get(), "_id")) bson_append_iter(ids, std::to_string((*n)++).c_str(), -1, &id);
  });
}

// `statement` with its query (field `q`) narrowed to {$and: [q, {_id: {$in: ids}}]}.
std::string Narrowed(std::string_view statement, const bson_t* ids) {
  BsonView stmt(statement);
  BsonView q(SubDocument(stmt.get(), "q"));
  ScopedBson out, narrowed, both, in, by_id;
  BSON_APPEND_ARRAY(in.get(), "$in", ids);
  BSON_APPEND_DOCUMENT(by_id.get(), "_id", in.get());
  BSON_APPEND_DOCUMENT(both.get(), "0", q.get());
  BSON_APPEND_DOCUMENT(both.get(), "1", by_id.get());
  BSON_APPEND_ARRAY(narrowed.get(), "$and", both.get());
  BSON_APPEND_DOCUMENT(out.get(), "q", narrowed.get());
  bson_iter_t it;
  bson_iter_init(&it, stmt.get());
  while (bson_iter_next(&it)) {
    if (std::string_view(bson_iter_key(&it)) != "q") bson_append_iter(out.get(), bson_iter_key(&it), -1, &it);
  }
  return std::string(out.bytes());
}

// One update or delete statement (number `index`): to the owning shard when its query pins the
// shard key, else to each shard's owned matches. False when it failed.
bool WriteStatement(Context& ctx, const char* verb, const char* field, std::string_view statement, size_t index, bool multi,
                    bool upsert, WriteResult* result) {
  BsonView stmt(statement);
  BsonView q(SubDocument(stmt.get(), "q"));
  const int target = ctx.route.ShardOfQuery(q.get());
  if (target >= 0) return SendBatch(ctx, static_cast<size_t>(target), verb, field, {statement}, {index}, true, result);
  if (upsert) {
    result->AddError(index, kShardKeyNotFound, "an upsert on a sharded collection must pin the full shard key " +
                                                   mongo::BsonToShortJson(ctx.route.topology().key.bson) + " by equality in its query");
    return false;
  }
  for (size_t s = 0; s < ctx.route.num_shards(); ++s) {
    ScopedBson ids;
    size_t n = 0;
    int code = 0;
    Status st = OwnedIds(ctx, s, q.get(), !multi, ids.get(), &n, &code);
    if (!st.ok()) {
      result->AddError(index, code > 0 ? code : 1, st.message());
      return false;
    }
    if (n == 0) continue;
    const std::string narrowed = Narrowed(statement, ids.get());
    if (!SendBatch(ctx, s, verb, field, {narrowed}, {index}, true, result)) return false;
    if (!multi) break;
  }
  return true;
}

void WriteStatements(Context& ctx, const bson_t* command, bson_t* reply, bool is_update) {
  const char* verb = is_update ? "update" : "delete";
  const char* field = is_update ? "updates" : "deletes";
  const bool ordered = BoolField(command, "ordered", true);
  WriteResult result;
  result.is_update = is_update;
  const std::vector<std::string_view> statements = Documents(ctx, command, field);
  for (size_t i = 0; i < statements.size(); ++i) {
    BsonView stmt(statements[i]);
    const bool multi = is_update ? BoolField(stmt.get(), "multi", false) : IntField(stmt.get(), "limit", 0) == 0;
    const bool upsert = is_update && BoolField(stmt.get(), "upsert", false);
    if (!WriteStatement(ctx, verb, field, statements[i], i, multi, upsert, &result) && ordered) break;
  }
  result.Reply(reply);
}

}  // namespace

void Insert(Context& ctx, const bson_t* command, bson_t* reply) {
  const bool ordered = BoolField(command, "ordered", true);
  std::vector<std::string> docs;
  for (std::string_view d : Documents(ctx, command, "documents")) docs.push_back(WithId(d));
  WriteResult result;
  // Batches: per shard, or (ordered) runs of consecutive documents of one shard, so that an
  // ordered insert stops at its first error as it would on one server.
  std::vector<std::pair<size_t, std::vector<size_t>>> batches;
  std::vector<int> batch_of_shard(ctx.route.num_shards(), -1);
  for (size_t i = 0; i < docs.size(); ++i) {
    const int shard = ctx.route.ShardOf(docs[i]);
    if (shard < 0) {
      result.AddError(i, kShardKeyNotFound, "no chunk of " + ctx.ns() + " covers this document's shard key");
      if (ordered) break;
      continue;
    }
    const auto s = static_cast<size_t>(shard);
    if (ordered ? (batches.empty() || batches.back().first != s) : batch_of_shard[s] < 0) {
      batch_of_shard[s] = static_cast<int>(batches.size());
      batches.push_back({s, {}});
    }
    batches[ordered ? batches.size() - 1 : static_cast<size_t>(batch_of_shard[s])].second.push_back(i);
  }
  for (const auto& [shard, indices] : batches) {
    std::vector<std::string_view> batch;
    for (size_t i : indices) batch.push_back(docs[i]);
    if (!SendBatch(ctx, shard, "insert", "documents", batch, indices, ordered, &result) && ordered) break;
  }
  result.Reply(reply);
}

void Update(Context& ctx, const bson_t* command, bson_t* reply) { WriteStatements(ctx, command, reply, true); }
void Delete(Context& ctx, const bson_t* command, bson_t* reply) { WriteStatements(ctx, command, reply, false); }

}  // namespace aviary::gateway::router
