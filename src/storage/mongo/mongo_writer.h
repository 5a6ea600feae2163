// One reduce attempt's writer: {_id: key, value: value} documents into the attempt's temporary
// collection, as unordered bulk inserts of `batch_size` documents.
//
// Thread safety: not thread-safe.
#ifndef AVIARY_STORAGE_MONGO_MONGO_WRITER_H_
#define AVIARY_STORAGE_MONGO_MONGO_WRITER_H_

#include <memory>
#include <string>

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

// Executes `bulk`; duplicate-key write errors are ignored when `ignore_duplicates` (re-copying
// after an interrupted commit). `context` prefixes errors.
Status ExecuteBulk(mongoc_bulk_operation_t* bulk, bool ignore_duplicates, const std::string& context);

// Unordered bulk writes on db.coll.
BulkPtr NewUnorderedBulk(mongoc_collection_t* collection);

class MongoWriter : public OutputWriter {
 public:
  MongoWriter(std::unique_ptr<Client> client, const std::string& db, std::string collection, int batch_size);

  Status Write(ValueView key, ValueView value) override;
  Status Close() override;
  std::string location() const override { return collection_; }

 private:
  Status Flush();

  std::unique_ptr<Client> client_;
  CollectionPtr handle_;
  const std::string collection_;
  const int batch_size_;
  BulkPtr bulk_;
  int pending_ = 0;
  std::string doc_;  // the document being built; reused, so no allocation per write
};

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_MONGO_WRITER_H_
