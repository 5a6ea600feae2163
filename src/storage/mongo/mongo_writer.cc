#include "storage/mongo/mongo_writer.h"

#include <cstring>

#include "storage/files/json_writer.h"
#include "storage/mongo/bson_convert.h"
#include "storage/mongo/bson_walk.h"
#include "storage/mongo/queries.h"

namespace aviary::mongo {
namespace {

// Why a document or array cannot be stored, or null. `in_array`: the elements are array items.
const char* Unstorable(const char* data, size_t size, bool in_array, int depth) {
  if (depth > 100) return "it nests deeper than 100 levels";
  BsonWalker w(data, size);
  BsonElement e;
  while (w.Next(&e)) {
    if (!in_array && e.name.find('.') != std::string_view::npos) return "a field name contains '.'";
    if (!in_array && e.name.starts_with('$')) return "a field name starts with '$'";
    if (in_array && e.type == 0x04) return "an array holds an array (FerretDB cannot store nested arrays)";
    if (e.type == 0x03 || e.type == 0x04) {
      if (const char* why = Unstorable(e.payload, e.size, e.type == 0x04, depth + 1)) return why;
    }
  }
  return w.malformed() ? "it is malformed BSON" : nullptr;
}

const char* Unstorable(ValueView v) {
  if (!v.is_document() && !v.is_array()) return nullptr;
  return Unstorable(v.data(), v.size(), v.is_array(), 0);
}

std::string KeyJson(ValueView key) {
  std::string json;
  AppendJson(key, &json);
  return json.size() > 200 ? json.substr(0, 197) + "..." : json;
}

// The index of the first write that failed on a duplicate key (11000), or -1.
int64_t FirstDuplicateIndex(const bson_t* reply) {
  bson_iter_t it, errors;
  if (!bson_iter_init_find(&it, reply, "writeErrors") || !bson_iter_recurse(&it, &errors)) return -1;
  while (bson_iter_next(&errors)) {
    bson_iter_t code, index;
    if (bson_iter_recurse(&errors, &code) && bson_iter_find(&code, "code") && bson_iter_as_int64(&code) == 11000 &&
        bson_iter_recurse(&errors, &index) && bson_iter_find(&index, "index")) {
      return bson_iter_as_int64(&index);
    }
  }
  return -1;
}

bool AllDuplicateKeyErrors(const bson_t* reply) {
  bson_iter_t it, errors, error, code;
  if (!bson_iter_init_find(&it, reply, "writeErrors") || !bson_iter_recurse(&it, &errors)) return false;
  bool any = false;
  while (bson_iter_next(&errors)) {
    if (!bson_iter_recurse(&errors, &error) || !bson_iter_find(&error, "code") ||
        bson_iter_as_int64(&error) != 11000) {
      return false;
    }
    any = true;
  }
  bson_iter_t concern;
  const bool concern_error = bson_iter_init_find(&concern, reply, "writeConcernErrors") &&
                             bson_iter_recurse(&concern, &code) && bson_iter_next(&code);
  return any && !concern_error;
}

}  // namespace

Status CheckStorable(ValueView key, ValueView value) {
  const char* why = key.is_array() ? "_id cannot be an array" : Unstorable(key);
  if (why != nullptr) return InvalidArgument("cannot store key " + KeyJson(key) + " in MongoDB: " + why);
  why = Unstorable(value);
  if (why != nullptr) return InvalidArgument("cannot store the value of key " + KeyJson(key) + " in MongoDB: " + why);
  return Status::OK();
}

BulkPtr NewUnorderedBulk(mongoc_collection_t* collection) {
  ScopedBson opts;
  BSON_APPEND_BOOL(opts.get(), "ordered", false);
  return BulkPtr(mongoc_collection_create_bulk_operation_with_opts(collection, opts.get()));
}

Status ExecuteBulk(mongoc_bulk_operation_t* bulk, bool ignore_duplicates, const std::string& context,
                   int64_t* duplicate_index) {
  ScopedBson reply;
  bson_error_t error;
  if (duplicate_index != nullptr) *duplicate_index = -1;
  if (mongoc_bulk_operation_execute(bulk, reply.get(), &error) != 0) return Status::OK();
  if (ignore_duplicates && AllDuplicateKeyErrors(reply.get())) return Status::OK();
  if (duplicate_index != nullptr) *duplicate_index = FirstDuplicateIndex(reply.get());
  return StatusFromBsonError(error, context);
}

MongoWriter::MongoWriter(std::unique_ptr<Client> client, const std::string& db, std::string collection, int batch_size)
    : client_(std::move(client)),
      db_(db),
      handle_(mongoc_client_get_collection(client_->get(), db.c_str(), collection.c_str())),
      collection_(std::move(collection)),
      batch_size_(batch_size),
      bulk_(NewUnorderedBulk(handle_.get())) {}

Status MongoWriter::Write(ValueView key, ValueView value) {
  RETURN_IF_ERROR(CheckStorable(key, value));
  StartDocument(&doc_);
  AppendRawElement(&doc_, "_id", key);
  AppendRawElement(&doc_, "value", value);
  FinishDocument(&doc_);
  // MongoDB's limit, checked here rather than left to the server (FerretDB stores larger ones).
  if (doc_.size() > kMaxBsonDocumentBytes) {
    return InvalidArgument("BSONObjectTooLarge: the output document of key " + KeyJson(key) + " is " +
                           std::to_string(doc_.size()) + " bytes, over MongoDB's limit of " +
                           std::to_string(kMaxBsonDocumentBytes) + " bytes (16 MiB)");
  }
  BsonView doc(doc_);
  bson_error_t error;
  if (!doc.ok() || !mongoc_bulk_operation_insert_with_opts(bulk_.get(), doc.get(), nullptr, &error)) {
    return InvalidArgument("cannot store key " + KeyJson(key) + " in MongoDB: " +
                           (doc.ok() ? std::string(error.message) : "malformed BSON"));
  }
  key_offsets_.push_back(pending_keys_.size());
  const auto size = static_cast<uint32_t>(key.size());
  pending_keys_.push_back(static_cast<char>(key.type()));
  pending_keys_.append(reinterpret_cast<const char*>(&size), 4);
  pending_keys_.append(key.data(), key.size());
  return ++pending_ >= batch_size_ ? Flush() : Status::OK();
}

std::string MongoWriter::PendingKeyJson(int64_t index) const {
  if (index < 0 || static_cast<size_t>(index) >= key_offsets_.size()) return "";
  const char* at = pending_keys_.data() + key_offsets_[static_cast<size_t>(index)];
  uint32_t size;
  std::memcpy(&size, at + 1, 4);
  return KeyJson(ValueView(static_cast<Type>(at[0]), at + 5, size));
}

Status MongoWriter::Flush() {
  if (pending_ == 0) return Status::OK();
  int64_t duplicate = -1;
  Status s = ExecuteBulk(bulk_.get(), false, "writing to " + collection_ + " on " + client_->redacted_uri(), &duplicate);
  if (const std::string key = PendingKeyJson(duplicate); !s.ok() && !key.empty()) {
    // A server whose _id equality differs from the engine's key equality, or a collection that
    // held the key already: either way, name the key (FerretDB's message does not).
    s = AlreadyExists("duplicate key " + key + " in " + collection_ + ": the collection already holds a document with "
                      "this _id (" + s.message() + ")");
  }
  bulk_ = NewUnorderedBulk(handle_.get());  // a bulk operation runs once
  pending_ = 0;
  pending_keys_.clear();
  key_offsets_.clear();
  return s;
}

Status MongoWriter::Close() {
  RETURN_IF_ERROR(Flush());
  if (marker_.empty()) return Status::OK();
  ASSIGN_OR_RETURN(const bool open, CollectionExists(client_.get(), db_, marker_));
  if (open) return Status::OK();
  RETURN_IF_ERROR(DropCollection(client_.get(), db_, collection_));
  return FailedPrecondition("the job ended while this attempt wrote " + collection_ + " (" + marker_ +
                            " is gone): what it wrote is dropped");
}

}  // namespace aviary::mongo
