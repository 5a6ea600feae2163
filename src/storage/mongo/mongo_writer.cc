#include "storage/mongo/mongo_writer.h"

#include <cstring>
#include <set>

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

// Fills `errors` from a bulk write's reply: the writes refused with a duplicate key (11000),
// and whether nothing else went wrong (no other write error, no write concern error).
void ReadBulkErrors(const bson_t* reply, BulkErrors* errors) {
  errors->duplicates.clear();
  bson_iter_t it, list;
  bool others = false;
  if (bson_iter_init_find(&it, reply, "writeErrors") && bson_iter_recurse(&it, &list)) {
    while (bson_iter_next(&list)) {
      bson_iter_t code, index;
      const bool duplicate = bson_iter_recurse(&list, &code) && bson_iter_find(&code, "code") &&
                             bson_iter_as_int64(&code) == 11000 && bson_iter_recurse(&list, &index) &&
                             bson_iter_find(&index, "index");
      if (duplicate) {
        errors->duplicates.push_back(bson_iter_as_int64(&index));
      } else {
        others = true;
      }
    }
  }
  bson_iter_t concern, first;
  others = others || (bson_iter_init_find(&concern, reply, "writeConcernErrors") &&
                      bson_iter_recurse(&concern, &first) && bson_iter_next(&first));
  errors->only_duplicates = !errors->duplicates.empty() && !others;
}

// The document {_id: key} in BSON, to compare _ids byte for byte.
std::string IdDocument(ValueView key) {
  std::string doc;
  StartDocument(&doc);
  AppendRawElement(&doc, "_id", key);
  FinishDocument(&doc);
  return doc;
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

Status ExecuteBulk(mongoc_bulk_operation_t* bulk, const std::string& context, BulkErrors* errors) {
  ScopedBson reply;
  bson_error_t error;
  if (mongoc_bulk_operation_execute(bulk, reply.get(), &error) != 0) return Status::OK();
  if (errors != nullptr) ReadBulkErrors(reply.get(), errors);
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

bool MongoWriter::PendingKey(int64_t index, ValueView* key) const {
  if (index < 0 || static_cast<size_t>(index) >= key_offsets_.size()) return false;
  const char* at = pending_keys_.data() + key_offsets_[static_cast<size_t>(index)];
  uint32_t size;
  std::memcpy(&size, at + 1, 4);
  *key = ValueView(static_cast<Type>(at[0]), at + 5, size);
  return true;
}

Status MongoWriter::CheckReplays(const std::vector<int64_t>& indexes, const Status& refused) {
  // One query for the stored _ids of every refused write.
  ScopedBson filter, opts, projection;
  bson_t id, in;
  BSON_APPEND_DOCUMENT_BEGIN(filter.get(), "_id", &id);
  BSON_APPEND_ARRAY_BEGIN(&id, "$in", &in);
  for (size_t i = 0; i < indexes.size(); ++i) {
    ValueView key;
    if (!PendingKey(indexes[i], &key) || !AppendToBson(&in, std::to_string(i).c_str(), key)) return refused;
  }
  bson_append_array_end(&id, &in);
  bson_append_document_end(filter.get(), &id);
  BSON_APPEND_INT32(projection.get(), "_id", 1);
  BSON_APPEND_DOCUMENT(opts.get(), "projection", projection.get());
  CursorPtr cursor(mongoc_collection_find_with_opts(handle_.get(), filter.get(), opts.get(), nullptr));
  std::set<std::string> stored;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    bson_iter_t it;
    ScopedBson only_id;
    if (bson_iter_init_find(&it, doc, "_id") && bson_append_iter(only_id.get(), "_id", 3, &it)) {
      stored.emplace(reinterpret_cast<const char*>(bson_get_data(only_id.get())), only_id.get()->len);
    }
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return StatusFromBsonError(error, "reading back the duplicate keys refused in " + collection_);
  }
  for (int64_t index : indexes) {
    ValueView key;
    if (PendingKey(index, &key) && stored.count(IdDocument(key)) == 0) {
      return AlreadyExists("duplicate key " + KeyJson(key) + " in " + collection_ +
                           ": the collection holds another key the server finds equal to it (" + refused.message() + ")");
    }
  }
  return Status::OK();
}

Status MongoWriter::Flush() {
  if (pending_ == 0) return Status::OK();
  BulkErrors errors;
  Status s = ExecuteBulk(bulk_.get(), "writing to " + collection_ + " on " + client_->redacted_uri(), &errors);
  if (!s.ok() && accept_replays_ && errors.only_duplicates) {
    s = CheckReplays(errors.duplicates, s);
  } else if (ValueView key; !s.ok() && !errors.duplicates.empty() && PendingKey(errors.duplicates[0], &key)) {
    // A server whose _id equality differs from the engine's key equality, or a collection that
    // held the key already: either way, name the key (FerretDB's message does not).
    s = AlreadyExists("duplicate key " + KeyJson(key) + " in " + collection_ +
                      ": the collection already holds a document with this _id (" + s.message() + ")");
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
