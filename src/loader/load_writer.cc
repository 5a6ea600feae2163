#include "loader/load_writer.h"

#include <ctime>
#include <random>

#include "storage/mongo/handles.h"
#include "storage/mongo/mongo_client.h"

namespace aviary::loader {
namespace {

using mongo::BulkPtr;
using mongo::CollectionPtr;
using mongo::ScopedBson;

constexpr size_t kBatch = 100;  // FerretDB inserts fastest in batches of 100 (DESIGN.md)
constexpr int kConnectMs = 10'000;
constexpr uint32_t kNamespaceNotFound = 26;
constexpr uint32_t kNamespaceExists = 48;

CollectionPtr Config(mongoc_client_t* client, const char* name) {
  return CollectionPtr(mongoc_client_get_collection(client, "config", name));
}

// A random (version 4) UUID, as MongoDB gives each sharded collection.
void AppendNewUuid(bson_t* doc, const char* field) {
  std::random_device rd;
  uint8_t bytes[16];
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rd());
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);
  bson_append_binary(doc, field, -1, BSON_SUBTYPE_UUID, bytes, sizeof bytes);
}

Status DeleteMany(mongoc_collection_t* coll, const bson_t* selector, const std::string& what) {
  bson_error_t error;
  if (!mongoc_collection_delete_many(coll, selector, nullptr, nullptr, &error)) {
    return mongo::StatusFromBsonError(error, what);
  }
  return Status::OK();
}

// Deletes the config.chunks of the collection whose config.collections entry is `entry_doc`.
Status DeleteOldChunks(mongoc_client_t* entry, const bson_t* collection_doc, const LoadTarget& target) {
  CollectionPtr chunks = Config(entry, "chunks");
  const std::string what = "removing the old chunks of " + target.ns() + " at " + target.entry;
  bson_iter_t it;
  if (bson_iter_init_find(&it, collection_doc, "uuid")) {
    ScopedBson by_uuid;
    bson_append_iter(by_uuid.get(), "uuid", -1, &it);
    RETURN_IF_ERROR(DeleteMany(chunks.get(), by_uuid.get(), what));
  }
  ScopedBson by_ns;  // the layout before MongoDB 5.0
  BSON_APPEND_UTF8(by_ns.get(), "ns", target.ns().c_str());
  return DeleteMany(chunks.get(), by_ns.get(), what);
}

Status DropCollection(mongoc_client_t* client, const LoadTarget& target, const std::string& where) {
  CollectionPtr coll(mongoc_client_get_collection(client, target.database.c_str(), target.collection.c_str()));
  bson_error_t error;
  if (mongoc_collection_drop_with_opts(coll.get(), nullptr, &error) || error.code == kNamespaceNotFound) {
    return Status::OK();
  }
  return mongo::StatusFromBsonError(error, "dropping " + target.ns() + " on " + where);
}

Status DropOnShard(const mongo::ShardInfo& shard, const LoadTarget& target) {
  ASSIGN_OR_RETURN(auto client, mongo::Client::Connect(target.ShardUri(shard), kConnectMs));
  return DropCollection(client->get(), target, shard.name + " (" + shard.host + ")");
}

void AppendChunk(bson_t* doc, const ChunkPlan& plan, size_t i, const bson_t* uuid_doc, const std::string& shard,
                 uint32_t now) {
  bson_oid_t oid;
  bson_oid_init(&oid, nullptr);
  BSON_APPEND_OID(doc, "_id", &oid);
  bson_concat(doc, uuid_doc);
  ScopedBson min, max, history, entry;
  AppendBound(min.get(), plan, i, /*max=*/false);
  AppendBound(max.get(), plan, i, /*max=*/true);
  BSON_APPEND_DOCUMENT(doc, "min", min.get());
  BSON_APPEND_DOCUMENT(doc, "max", max.get());
  BSON_APPEND_UTF8(doc, "shard", shard.c_str());
  BSON_APPEND_TIMESTAMP(doc, "lastmod", 1, static_cast<uint32_t>(i));  // chunk version 1|i
  BSON_APPEND_TIMESTAMP(doc, "onCurrentShardSince", now, 1);
  BSON_APPEND_TIMESTAMP(entry.get(), "validAfter", now, 1);
  BSON_APPEND_UTF8(entry.get(), "shard", shard.c_str());
  BSON_APPEND_DOCUMENT(history.get(), "0", entry.get());
  BSON_APPEND_ARRAY(doc, "history", history.get());
}

Status InsertChunks(mongoc_client_t* entry, const LoadTarget& target, const ChunkPlan& plan,
                    const std::vector<mongo::ShardInfo>& shards, const bson_t* uuid_doc, uint32_t now) {
  CollectionPtr chunks = Config(entry, "chunks");
  BulkPtr bulk(mongoc_collection_create_bulk_operation_with_opts(chunks.get(), nullptr));
  const std::string context = "recording the chunks of " + target.ns() + " in config.chunks at " + target.entry;
  bson_error_t error;
  for (size_t i = 0; i < plan.chunks(); ++i) {
    ScopedBson doc;
    AppendChunk(doc.get(), plan, i, uuid_doc, shards[plan.owner[i]].name, now);
    if (!mongoc_bulk_operation_insert_with_opts(bulk.get(), doc.get(), nullptr, &error)) {
      return mongo::StatusFromBsonError(error, context);
    }
  }
  ScopedBson reply;
  if (!mongoc_bulk_operation_execute(bulk.get(), reply.get(), &error)) return mongo::StatusFromBsonError(error, context);
  return Status::OK();
}

Status InsertCollection(mongoc_client_t* entry, const LoadTarget& target, const ChunkPlan& plan, const bson_t* uuid_doc,
                        uint32_t now) {
  ScopedBson doc, key;
  bson_oid_t epoch;
  bson_oid_init(&epoch, nullptr);
  BSON_APPEND_UTF8(doc.get(), "_id", target.ns().c_str());
  BSON_APPEND_OID(doc.get(), "lastmodEpoch", &epoch);
  BSON_APPEND_DATE_TIME(doc.get(), "lastmod", static_cast<int64_t>(now) * 1000);
  BSON_APPEND_TIMESTAMP(doc.get(), "timestamp", now, 1);
  bson_concat(doc.get(), uuid_doc);
  AppendKeyPattern(key.get(), plan);
  BSON_APPEND_DOCUMENT(doc.get(), "key", key.get());
  BSON_APPEND_BOOL(doc.get(), "unique", false);
  BSON_APPEND_BOOL(doc.get(), "noBalance", false);
  CollectionPtr collections = Config(entry, "collections");
  bson_error_t error;
  if (!mongoc_collection_insert_one(collections.get(), doc.get(), nullptr, nullptr, &error)) {
    return mongo::StatusFromBsonError(error, "recording " + target.ns() + " in config.collections at " + target.entry);
  }
  return Status::OK();
}

Status CreateCollection(mongoc_client_t* client, const LoadTarget& target, const std::string& where) {
  mongo::DatabasePtr db(mongoc_client_get_database(client, target.database.c_str()));
  bson_error_t error;
  CollectionPtr created(mongoc_database_create_collection(db.get(), target.collection.c_str(), nullptr, &error));
  if (created || error.code == kNamespaceExists) return Status::OK();
  return mongo::StatusFromBsonError(error, "creating " + target.ns() + " on " + where);
}

// The first write error of a failed bulk insert, naming the document it was about.
Status WriteErrorOf(const bson_t* reply, const bson_error_t& error, const DocumentSet& docs,
                    const std::vector<size_t>& batch, const std::string& context) {
  bson_iter_t it, first;
  if (bson_iter_init_find(&it, reply, "writeErrors") && BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &first) &&
      bson_iter_next(&first) && BSON_ITER_HOLDS_DOCUMENT(&first)) {
    bson_iter_t doc;
    bson_iter_recurse(&first, &doc);
    int64_t index = -1, code = 0;
    std::string message;
    while (bson_iter_next(&doc)) {
      const std::string key = bson_iter_key(&doc);
      if (key == "index") index = bson_iter_as_int64(&doc);
      if (key == "code") code = bson_iter_as_int64(&doc);
      if (key == "errmsg" && BSON_ITER_HOLDS_UTF8(&doc)) message = bson_iter_utf8(&doc, nullptr);
    }
    const std::string where = index >= 0 && static_cast<size_t>(index) < batch.size() ? docs.Where(batch[index]) + ": " : "";
    return code == 11000 ? AlreadyExists(where + context + ": " + message) : InvalidArgument(where + context + ": " + message);
  }
  return mongo::StatusFromBsonError(error, context);
}

Status InsertBatch(mongoc_collection_t* coll, const DocumentSet& docs, const std::vector<size_t>& batch,
                   const std::string& context) {
  ScopedBson opts;
  BSON_APPEND_BOOL(opts.get(), "ordered", false);
  BulkPtr bulk(mongoc_collection_create_bulk_operation_with_opts(coll, opts.get()));
  bson_error_t error;
  for (size_t i : batch) {
    mongo::BsonView doc(docs.doc(i));
    if (!mongoc_bulk_operation_insert_with_opts(bulk.get(), doc.get(), nullptr, &error)) {
      return InvalidArgument(docs.Where(i) + ": " + error.message);
    }
  }
  ScopedBson reply;
  if (!mongoc_bulk_operation_execute(bulk.get(), reply.get(), &error)) {
    return WriteErrorOf(reply.get(), error, docs, batch, context);
  }
  return Status::OK();
}

}  // namespace

StatusOr<bool> DropPreviousLoad(mongoc_client_t* entry, const LoadTarget& target, const std::vector<mongo::ShardInfo>& shards) {
  CollectionPtr collections = Config(entry, "collections");
  ScopedBson selector;
  BSON_APPEND_UTF8(selector.get(), "_id", target.ns().c_str());
  mongo::CursorPtr cursor(mongoc_collection_find_with_opts(collections.get(), selector.get(), nullptr, nullptr));
  const bson_t* found = nullptr;
  const bool existed = mongoc_cursor_next(cursor.get(), &found);
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return mongo::StatusFromBsonError(error, "reading config.collections at " + target.entry);
  }
  if (existed) RETURN_IF_ERROR(DeleteOldChunks(entry, found, target));
  RETURN_IF_ERROR(DeleteMany(collections.get(), selector.get(), "removing " + target.ns() + " from config.collections"));
  for (const mongo::ShardInfo& shard : shards) RETURN_IF_ERROR(DropOnShard(shard, target));
  RETURN_IF_ERROR(DropCollection(entry, target, "the entry " + target.entry));
  return existed;
}

Status WriteMetadata(mongoc_client_t* entry, const LoadTarget& target, const ChunkPlan& plan,
                     const std::vector<mongo::ShardInfo>& shards) {
  const uint32_t now = static_cast<uint32_t>(std::time(nullptr));
  ScopedBson uuid_doc;
  AppendNewUuid(uuid_doc.get(), "uuid");
  // Chunks first: whoever sees the collection entry finds all of its chunks.
  RETURN_IF_ERROR(InsertChunks(entry, target, plan, shards, uuid_doc.get(), now));
  return InsertCollection(entry, target, plan, uuid_doc.get(), now);
}

Status InsertIntoShard(const mongo::ShardInfo& shard, const LoadTarget& target, const DocumentSet& docs,
                       const std::vector<size_t>& indices) {
  const std::string where = shard.name + " (" + shard.host + ")";
  ASSIGN_OR_RETURN(auto client, mongo::Client::Connect(target.ShardUri(shard), kConnectMs));
  RETURN_IF_ERROR(CreateCollection(client->get(), target, where));
  CollectionPtr coll(mongoc_client_get_collection(client->get(), target.database.c_str(), target.collection.c_str()));
  const std::string context = "inserting into " + target.ns() + " on " + where;
  for (size_t start = 0; start < indices.size(); start += kBatch) {
    const size_t end = std::min(indices.size(), start + kBatch);
    const std::vector<size_t> batch(indices.begin() + static_cast<std::ptrdiff_t>(start),
                                    indices.begin() + static_cast<std::ptrdiff_t>(end));
    RETURN_IF_ERROR(InsertBatch(coll.get(), docs, batch, context));
  }
  return Status::OK();
}

}  // namespace aviary::loader
