// What the router's commands share: reaching a shard, scanning its owned documents, replies.
#include "gateway/router/commands.h"
#include "gateway/wire.h"
#include "storage/mongo/handles.h"
#include "storage/mongo/mongo_client.h"

#include <thread>

namespace aviary::gateway::router {

std::string Context::ShardUri(size_t shard) const {
  return mongo::ShardUri(route.topology().shards[shard].host, config_uri);
}

void ErrorReply(int code, const std::string& code_name, const std::string& message, bson_t* reply) {
  BSON_APPEND_DOUBLE(reply, "ok", 0);
  BSON_APPEND_UTF8(reply, "errmsg", message.c_str());
  BSON_APPEND_INT32(reply, "code", code);
  BSON_APPEND_UTF8(reply, "codeName", code_name.c_str());
}

void ErrorReply(const Status& status, int server_code, bson_t* reply) {
  if (server_code > 0) return ErrorReply(server_code, "", status.message(), reply);
  const bool unreachable = status.code() == StatusCode::kUnavailable;
  ErrorReply(unreachable ? 6 : 1, unreachable ? "HostUnreachable" : "InternalError", status.message(), reply);
}

namespace {

Status FromDriver(const bson_error_t& error, const std::string& context, int* code) {
  *code = error.domain == MONGOC_ERROR_SERVER || error.domain == MONGOC_ERROR_WRITE_CONCERN ? static_cast<int>(error.code) : 0;
  return mongo::StatusFromBsonError(error, context);
}

}  // namespace

Status ScanOwned(Context& ctx, size_t shard, const bson_t* filter, const bson_t* opts, int* code,
                 const std::function<void(std::string_view doc)>& fn) {
  *code = 0;
  const std::string& name = ctx.route.topology().shards[shard].name;
  ASSIGN_OR_RETURN(PooledClient client, ctx.clients.Get(ctx.ShardUri(shard)));
  mongo::CollectionPtr coll(mongoc_client_get_collection(client.get(), ctx.db.c_str(), ctx.coll.c_str()));
  mongo::CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter, opts, nullptr));
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    const std::string_view bytes = mongo::BsonBytes(doc);
    if (ctx.route.Owns(shard, bytes)) fn(bytes);
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) return FromDriver(error, "shard " + name, code);
  return Status::OK();
}

std::vector<size_t> TargetShards(Context& ctx, const bson_t* filter) {
  if (const int owner = ctx.route.ShardOfQuery(filter); owner >= 0) return {static_cast<size_t>(owner)};
  std::vector<size_t> all(ctx.route.num_shards());
  for (size_t s = 0; s < all.size(); ++s) all[s] = s;
  return all;
}

Status ForEachShard(const std::vector<size_t>& shards, const std::function<Status(size_t shard, int* code)>& fn,
                    int* code) {
  std::vector<Status> results(shards.size());
  std::vector<int> codes(shards.size(), 0);
  std::vector<std::thread> threads;
  for (size_t i = 1; i < shards.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = fn(shards[i], &codes[i]); });
  }
  if (!shards.empty()) results[0] = fn(shards[0], &codes[0]);
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < shards.size(); ++i) {
    if (!results[i].ok()) {
      *code = codes[i];
      return results[i];
    }
  }
  *code = 0;
  return Status::OK();
}

Status RunOnShard(Context& ctx, size_t shard, const bson_t* command, bson_t* out, int* code) {
  *code = 0;
  ASSIGN_OR_RETURN(PooledClient client, ctx.clients.Get(ctx.ShardUri(shard)));
  bson_error_t error;
  if (!mongoc_client_command_simple(client.get(), ctx.db.c_str(), command, nullptr, out, &error)) {
    return FromDriver(error, "shard " + ctx.route.topology().shards[shard].name, code);
  }
  return Status::OK();
}

std::string_view SubDocument(const bson_t* doc, const char* name) {
  static constexpr char kEmpty[5] = {5, 0, 0, 0, 0};
  bson_iter_t it;
  if (!bson_iter_init_find(&it, doc, name) || !(BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it))) {
    return std::string_view(kEmpty, sizeof kEmpty);
  }
  uint32_t len = 0;
  const uint8_t* data = nullptr;
  if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
    bson_iter_document(&it, &len, &data);
  } else {
    bson_iter_array(&it, &len, &data);
  }
  return std::string_view(reinterpret_cast<const char*>(data), len);
}

std::vector<std::string_view> Documents(const Context& ctx, const bson_t* command, const char* name) {
  std::vector<std::string_view> out;
  bson_iter_t it, arr;
  if (bson_iter_init_find(&it, command, name) && BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &arr)) {
    while (bson_iter_next(&arr)) {
      if (!BSON_ITER_HOLDS_DOCUMENT(&arr)) continue;
      uint32_t len = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&arr, &len, &data);
      out.emplace_back(reinterpret_cast<const char*>(data), len);
    }
  }
  SequenceDocuments(ctx.frame, name, &out);
  return out;
}

int64_t IntField(const bson_t* doc, const char* name, int64_t fallback) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, doc, name) || !BSON_ITER_HOLDS_NUMBER(&it)) return fallback;
  return bson_iter_as_int64(&it);
}

bool BoolField(const bson_t* doc, const char* name, bool fallback) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, doc, name)) return fallback;
  return bson_iter_as_bool(&it);
}

}  // namespace aviary::gateway::router
