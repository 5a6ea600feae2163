// One reduce attempt's writer: {_id: key, value: value} documents into the attempt's temporary
// collection, as unordered bulk inserts of `batch_size` documents.
//
// Thread safety: not thread-safe.
#ifndef AVIARY_STORAGE_MONGO_MONGO_WRITER_H_
#define AVIARY_STORAGE_MONGO_MONGO_WRITER_H_

#include <memory>
#include <string>
#include <vector>

#include "storage/mongo/handles.h"
#include "storage/mongo/mongo_client.h"
#include "storage/output.h"

namespace aviary::mongo {

// The largest document MongoDB stores (maxBsonObjectSize, 16 MiB).
inline constexpr size_t kMaxBsonDocumentBytes = 16 * 1024 * 1024;

// OK when MongoDB (and FerretDB) can store {_id: key, value: value}; otherwise InvalidArgument
// naming the key and the reason: an array _id, a field name containing '.' or starting with '$',
// or an array directly inside an array.
Status CheckStorable(ValueView key, ValueView value);

// What a failed bulk write reported: the indexes (in the bulk) of the writes refused for a
// duplicate _id, and whether those were its only errors.
struct BulkErrors {
  std::vector<int64_t> duplicates;
  bool only_duplicates = false;
};

// Executes `bulk`; `context` prefixes errors. On a failure, `errors` (when given) says which
// writes hit a duplicate _id.
Status ExecuteBulk(mongoc_bulk_operation_t* bulk, const std::string& context, BulkErrors* errors = nullptr);

// Unordered bulk writes on db.coll.
BulkPtr NewUnorderedBulk(mongoc_collection_t* collection);

class MongoWriter : public OutputWriter {
 public:
  MongoWriter(std::unique_ptr<Client> client, const std::string& db, std::string collection, int batch_size);

  // At Close, when collection `marker` no longer exists (the job ended while this attempt
  // wrote), drops what it wrote and fails: MongoDB would otherwise have re-created the
  // collection on the first insert after the job's commit dropped it.
  void DropUnlessStillOpen(std::string marker) { marker_ = std::move(marker); }

  // For a collection that earlier attempts of the same reduce partition may have written to: a
  // write refused for a duplicate _id is accepted when the stored _id is byte for byte the key
  // written (an earlier attempt wrote that key), and is still an error naming the key when the
  // server merely finds the two equal (another key, by the engine's equality).
  void AcceptReplays() { accept_replays_ = true; }

  Status Write(ValueView key, ValueView value) override;
  Status Close() override;
  std::string location() const override { return collection_; }

 private:
  Status Flush();
  // The key of the index-th pending write; false for no such write.
  bool PendingKey(int64_t index, ValueView* key) const;
  // OK when each of the pending writes at `indexes` found its own key already stored (see
  // AcceptReplays); else AlreadyExists naming the first key that was not.
  Status CheckReplays(const std::vector<int64_t>& indexes, const Status& refused);

  std::unique_ptr<Client> client_;
  const std::string db_;
  CollectionPtr handle_;
  const std::string collection_;
  const int batch_size_;
  BulkPtr bulk_;
  int pending_ = 0;
  std::string doc_;  // the document being built; reused, so no allocation per write
  std::string marker_;
  bool accept_replays_ = false;
  // The pending documents' keys (type, size, payload each, at key_offsets_), so that a
  // duplicate-key error can name the key the server refused.
  std::string pending_keys_;
  std::vector<size_t> key_offsets_;
};

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_MONGO_WRITER_H_
