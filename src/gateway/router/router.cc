#include "gateway/router/router.h"

#include <spdlog/spdlog.h>

#include "gateway/router/commands.h"

namespace aviary::gateway::router {
namespace {

constexpr auto kTopologyTtl = std::chrono::seconds(1);

using Handler = void (*)(Context&, const bson_t*, bson_t*);

Handler HandlerFor(const std::string& name) {
  if (name == "find") return Find;
  if (name == "count") return Count;
  if (name == "distinct") return Distinct;
  if (name == "aggregate") return Aggregate;
  if (name == "insert") return Insert;
  if (name == "update") return Update;
  if (name == "delete") return Delete;
  return nullptr;
}

bool IsSystemDb(const std::string& db) { return db == "admin" || db == "config" || db == "local" || db.empty(); }

}  // namespace

StatusOr<std::unique_ptr<Router>> Router::Create(const std::string& config_uri) {
  ASSIGN_OR_RETURN(std::unique_ptr<mongo::Client> config, mongo::Client::Connect(config_uri, 10'000));
  return std::unique_ptr<Router>(new Router(config_uri, std::move(config)));
}

std::shared_ptr<const mongo::Topology> Router::Lookup(const std::string& db, const std::string& coll) {
  const std::string ns = db + "." + coll;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(ns);
  if (it != cache_.end() && now - it->second.read < kTopologyTtl) return it->second.topology;
  StatusOr<mongo::Topology> topology = mongo::ReadTopology(config_.get(), db, coll);
  if (!topology.ok()) {
    // Relayed as unsharded: the config server's answer is what a client saw before the router.
    spdlog::warn("gateway router: cannot read the chunks of {}: {}", ns, topology.status().message());
    return nullptr;
  }
  std::shared_ptr<const mongo::Topology> shared;
  if (topology->sharded) shared = std::make_shared<const mongo::Topology>(std::move(*topology));
  cache_[ns] = {shared, now};
  return shared;
}

bool Router::Serve(const Command& command, std::string_view frame, bson_t* reply) {
  if (command.name == "getMore" || command.name == "killCursors") return ServeCursorCommand(command, reply);
  const Handler handler = HandlerFor(command.name);
  if (handler == nullptr || IsSystemDb(command.db)) return false;
  bson_iter_t it;
  if (!bson_iter_init_find(&it, &command.body, command.name.c_str()) || !BSON_ITER_HOLDS_UTF8(&it)) return false;
  const std::string coll = bson_iter_utf8(&it, nullptr);
  std::shared_ptr<const mongo::Topology> topology = Lookup(command.db, coll);
  if (!topology) return false;
  StatusOr<Route> route = Route::Create(topology);
  if (!route.ok()) {
    ErrorReply(route.status(), 0, reply);
    return true;
  }
  Context ctx{*route, clients_, cursors_, config_uri_, command.db, coll, frame};
  handler(ctx, &command.body, reply);
  return true;
}

bool Router::ServeCursorCommand(const Command& command, bson_t* reply) {
  bson_iter_t it;
  if (command.name == "getMore") {
    if (!bson_iter_init_find(&it, &command.body, "getMore") || !BSON_ITER_HOLDS_INT64(&it)) return false;
    const int64_t id = bson_iter_int64(&it);
    if (!Cursors::IsOurs(id)) return false;
    if (!cursors_.More(id, IntField(&command.body, "batchSize", 0), reply)) {
      ErrorReply(43, "CursorNotFound", "cursor id " + std::to_string(id) + " not found", reply);
    }
    return true;
  }
  bson_iter_t ids;
  if (!bson_iter_init_find(&it, &command.body, "cursors") || !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &ids)) {
    return false;
  }
  std::vector<int64_t> ours;
  while (bson_iter_next(&ids)) {
    if (!BSON_ITER_HOLDS_INT64(&ids) || !Cursors::IsOurs(bson_iter_int64(&ids))) return false;  // the relay's
    ours.push_back(bson_iter_int64(&ids));
  }
  bson_t killed, not_found, empty;
  BSON_APPEND_ARRAY_BEGIN(reply, "cursorsKilled", &killed);
  size_t k = 0;
  std::vector<int64_t> missing;
  for (int64_t id : ours) {
    if (cursors_.Kill(id)) {
      const std::string key = std::to_string(k++);  // the macro evaluates its key twice
      BSON_APPEND_INT64(&killed, key.c_str(), id);
    } else {
      missing.push_back(id);
    }
  }
  bson_append_array_end(reply, &killed);
  BSON_APPEND_ARRAY_BEGIN(reply, "cursorsNotFound", &not_found);
  for (size_t i = 0; i < missing.size(); ++i) BSON_APPEND_INT64(&not_found, std::to_string(i).c_str(), missing[i]);
  bson_append_array_end(reply, &not_found);
  BSON_APPEND_ARRAY_BEGIN(reply, "cursorsAlive", &empty);
  bson_append_array_end(reply, &empty);
  BSON_APPEND_ARRAY_BEGIN(reply, "cursorsUnknown", &empty);
  bson_append_array_end(reply, &empty);
  BSON_APPEND_DOUBLE(reply, "ok", 1);
  return true;
}

}  // namespace aviary::gateway::router
