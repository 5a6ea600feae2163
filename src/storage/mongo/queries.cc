#include "storage/mongo/queries.h"

#include "storage/mongo/handles.h"

namespace aviary::mongo {
namespace {

std::string Where(Client* client, const std::string& db, const std::string& coll) {
  return db + "." + coll + " on " + client->redacted_uri();
}

// Server code 26 (NamespaceNotFound), as drop reports a missing collection.
bool IsNamespaceNotFound(const bson_error_t& error) { return error.code == 26 || std::string_view(error.message) == "ns not found"; }

}  // namespace

StatusOr<std::vector<std::string>> FindAll(Client* client, const std::string& db, const std::string& coll,
                                           const bson_t* filter) {
  CollectionPtr collection(mongoc_client_get_collection(client->get(), db.c_str(), coll.c_str()));
  ScopedBson empty;
  CursorPtr cursor(mongoc_collection_find_with_opts(collection.get(), filter ? filter : empty.get(), nullptr, nullptr));
  std::vector<std::string> docs;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) docs.emplace_back(BsonBytes(doc));
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) return StatusFromBsonError(error, "reading " + Where(client, db, coll));
  return docs;
}

StatusOr<bool> CollectionExists(Client* client, const std::string& db, const std::string& coll) {
  DatabasePtr database(mongoc_client_get_database(client->get(), db.c_str()));
  ScopedBson opts, filter;
  BSON_APPEND_UTF8(filter.get(), "name", coll.c_str());
  BSON_APPEND_DOCUMENT(opts.get(), "filter", filter.get());
  CursorPtr cursor(mongoc_database_find_collections_with_opts(database.get(), opts.get()));
  const bson_t* doc = nullptr;
  const bool found = mongoc_cursor_next(cursor.get(), &doc);
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return StatusFromBsonError(error, "listing collections of " + db + " on " + client->redacted_uri());
  }
  return found;
}

StatusOr<bool> CollectionHasDocuments(Client* client, const std::string& db, const std::string& coll) {
  CollectionPtr collection(mongoc_client_get_collection(client->get(), db.c_str(), coll.c_str()));
  ScopedBson filter, opts;
  BSON_APPEND_INT64(opts.get(), "limit", 1);
  CursorPtr cursor(mongoc_collection_find_with_opts(collection.get(), filter.get(), opts.get(), nullptr));
  const bson_t* doc = nullptr;
  const bool found = mongoc_cursor_next(cursor.get(), &doc);
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) return StatusFromBsonError(error, "reading " + Where(client, db, coll));
  return found;
}

StatusOr<int64_t> CountDocuments(Client* client, const std::string& db, const std::string& coll, bool exact) {
  DatabasePtr database(mongoc_client_get_database(client->get(), db.c_str()));
  ScopedBson command, reply;
  BSON_APPEND_UTF8(command.get(), exact ? "count" : "collStats", coll.c_str());
  bson_error_t error;
  if (!mongoc_database_read_command_with_opts(database.get(), command.get(), nullptr, nullptr, reply.get(), &error)) {
    return StatusFromBsonError(error, "counting the documents of " + Where(client, db, coll));
  }
  bson_iter_t it;
  if (!bson_iter_init_find(&it, reply.get(), exact ? "n" : "count") || !BSON_ITER_HOLDS_NUMBER(&it)) {
    return Internal("counting the documents of " + Where(client, db, coll) + ": the reply has no count");
  }
  return bson_iter_as_int64(&it);
}

StatusOr<std::vector<std::string>> ListCollectionsWithPrefix(Client* client, const std::string& db,
                                                             const std::string& prefix) {
  DatabasePtr database(mongoc_client_get_database(client->get(), db.c_str()));
  ScopedBson opts;
  BSON_APPEND_BOOL(opts.get(), "nameOnly", true);
  CursorPtr cursor(mongoc_database_find_collections_with_opts(database.get(), opts.get()));
  std::vector<std::string> names;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, "name") && BSON_ITER_HOLDS_UTF8(&it)) {
      std::string name = bson_iter_utf8(&it, nullptr);
      if (name.starts_with(prefix)) names.push_back(std::move(name));
    }
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return StatusFromBsonError(error, "listing collections of " + db + " on " + client->redacted_uri());
  }
  return names;
}

Status DropCollection(Client* client, const std::string& db, const std::string& coll) {
  CollectionPtr collection(mongoc_client_get_collection(client->get(), db.c_str(), coll.c_str()));
  bson_error_t error;
  if (!mongoc_collection_drop_with_opts(collection.get(), nullptr, &error) && !IsNamespaceNotFound(error)) {
    return StatusFromBsonError(error, "dropping " + Where(client, db, coll));
  }
  return Status::OK();
}

Status RenameCollection(Client* client, const std::string& db, const std::string& from, const std::string& to,
                        bool drop_target) {
  CollectionPtr collection(mongoc_client_get_collection(client->get(), db.c_str(), from.c_str()));
  bson_error_t error;
  if (!mongoc_collection_rename_with_opts(collection.get(), db.c_str(), to.c_str(), drop_target, nullptr, &error)) {
    Status s = StatusFromBsonError(error, "renaming " + Where(client, db, from) + " to " + to);
    // NotImplemented (238), or FerretDB's "... is not implemented yet" with a generic code.
    if (error.code == 238 || std::string_view(error.message).find("not implemented") != std::string_view::npos) {
      return Status(StatusCode::kUnimplemented, s.message());
    }
    return s;
  }
  return Status::OK();
}

StatusOr<bool> IsMongos(Client* client) {
  ScopedBson hello, reply;
  BSON_APPEND_INT32(hello.get(), "hello", 1);
  bson_error_t error;
  if (!mongoc_client_command_simple(client->get(), "admin", hello.get(), nullptr, reply.get(), &error)) {
    return StatusFromBsonError(error, "hello to " + client->redacted_uri());
  }
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.get(), "msg") && BSON_ITER_HOLDS_UTF8(&it) &&
         std::string_view(bson_iter_utf8(&it, nullptr)) == "isdbgrid";
}

namespace {

constexpr char kShardIdentityId[] = "shardIdentity";

std::string Utf8Field(const bson_t* doc, const char* name) {
  bson_iter_t it;
  return bson_iter_init_find(&it, doc, name) && BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, nullptr) : "";
}

}  // namespace

StatusOr<std::optional<ShardIdentity>> ReadShardIdentity(Client* client) {
  ScopedBson filter;
  BSON_APPEND_UTF8(filter.get(), "_id", kShardIdentityId);
  StatusOr<std::vector<std::string>> docs = FindAll(client, "admin", "system.version", filter.get());
  if (!docs.ok() && (docs.status().code() == StatusCode::kPermissionDenied ||
                     docs.status().code() == StatusCode::kUnauthenticated)) {
    return std::optional<ShardIdentity>();
  }
  if (!docs.ok()) return docs.status();
  if (docs->empty()) return std::optional<ShardIdentity>();
  bson_t doc;
  const std::string& bytes = docs->front();
  if (!bson_init_static(&doc, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())) {
    return std::optional<ShardIdentity>();
  }
  return std::optional<ShardIdentity>(ShardIdentity{Utf8Field(&doc, "shardName"), Utf8Field(&doc, "configsvrConnectionString")});
}

Status WriteShardIdentity(Client* client, const ShardIdentity& identity) {
  CollectionPtr coll(mongoc_client_get_collection(client->get(), "admin", "system.version"));
  ScopedBson selector, update, fields, opts;
  BSON_APPEND_UTF8(selector.get(), "_id", kShardIdentityId);
  BSON_APPEND_UTF8(fields.get(), "shardName", identity.shard_name.c_str());
  BSON_APPEND_UTF8(fields.get(), "configsvrConnectionString", identity.config_server.c_str());
  BSON_APPEND_DOCUMENT(update.get(), "$set", fields.get());
  BSON_APPEND_BOOL(opts.get(), "upsert", true);
  bson_error_t error;
  if (!mongoc_collection_update_one(coll.get(), selector.get(), update.get(), opts.get(), nullptr, &error)) {
    return StatusFromBsonError(error, "recording the shard identity in " + Where(client, "admin", "system.version"));
  }
  return Status::OK();
}

}  // namespace aviary::mongo
