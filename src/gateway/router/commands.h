// The router's commands, one function each (router.cc dispatches). Each appends the complete
// reply (a result or an error reply {ok: 0, errmsg, code, codeName}) to the empty `reply`.
//
// Thread safety: as Route (one thread per Context; ForEachShard's calls touch one shard each).
#ifndef AVIARY_GATEWAY_ROUTER_COMMANDS_H_
#define AVIARY_GATEWAY_ROUTER_COMMANDS_H_

#include <bson/bson.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "gateway/router/cursors.h"
#include "gateway/router/route.h"
#include "gateway/router/shard_clients.h"

namespace aviary::gateway::router {

struct Context {
  Route& route;
  ShardClients& clients;
  Cursors& cursors;
  const std::string& config_uri;
  std::string db, coll;
  std::string_view frame;  // the request, for its document sequences

  std::string ns() const { return db + "." + coll; }
  std::string ShardUri(size_t shard) const;
};

void Find(Context& ctx, const bson_t* command, bson_t* reply);
void Count(Context& ctx, const bson_t* command, bson_t* reply);
void Distinct(Context& ctx, const bson_t* command, bson_t* reply);
void Aggregate(Context& ctx, const bson_t* command, bson_t* reply);
void Insert(Context& ctx, const bson_t* command, bson_t* reply);
void Update(Context& ctx, const bson_t* command, bson_t* reply);
void Delete(Context& ctx, const bson_t* command, bson_t* reply);

// --- shared by the commands (shard_query.cc) ---

// An error reply: {ok: 0, errmsg, code, codeName}.
void ErrorReply(int code, const std::string& code_name, const std::string& message, bson_t* reply);
// The error reply for a failed Status (a shard's error keeps its server code when it has one).
void ErrorReply(const Status& status, int server_code, bson_t* reply);

// Runs find(filter, opts) on shard `shard` and calls `fn` with each document that shard owns.
// On a shard's error returns it, with its server error code in `*code` (0 if none).
Status ScanOwned(Context& ctx, size_t shard, const bson_t* filter, const bson_t* opts, int* code,
                 const std::function<void(std::string_view doc)>& fn);

// The shards a read with this filter must reach: the one that owns every document it can match
// when it pins the shard key by equality (mongos's targeted query), else every shard.
std::vector<size_t> TargetShards(Context& ctx, const bson_t* filter);

// Calls `fn` for each of `shards` at once (one thread per shard beyond the first), so a scatter
// costs the slowest shard, not their sum. `fn` runs concurrently for different shards and must
// write only its shard's own results (Route's per-shard state is each shard's own). Returns the
// first failure in `shards` order, with its server error code in `*code`.
Status ForEachShard(const std::vector<size_t>& shards, const std::function<Status(size_t shard, int* code)>& fn,
                    int* code);

// Runs `command` on database ctx.db of shard `shard`; the server's reply in `*out`.
Status RunOnShard(Context& ctx, size_t shard, const bson_t* command, bson_t* out, int* code);

// The field `name` of `doc` as a document's bytes ({} when missing or not a document).
std::string_view SubDocument(const bson_t* doc, const char* name);
// The command's field `name` as an array of documents, or the request's document sequence of
// that name (OP_MSG kind 1).
std::vector<std::string_view> Documents(const Context& ctx, const bson_t* command, const char* name);
int64_t IntField(const bson_t* doc, const char* name, int64_t fallback);
bool BoolField(const bson_t* doc, const char* name, bool fallback);

}  // namespace aviary::gateway::router

#endif  // AVIARY_GATEWAY_ROUTER_COMMANDS_H_
