// MetadataStore on MongoDB (or FerretDB): collections `jobs`, `workers` and `leases` in the
// database named by the URI. Records are stored as protobuf bytes in a `record` field, with
// plain fields beside them (a job's state, name, times, task and record counts) so that people
// and tools can query the history, e.g. db.jobs.find({state: "FAILED"}).sort({submitted: -1}).
#include <mongoc/mongoc.h>

#include <cinttypes>
#include <cstdio>
#include <mutex>
#include <optional>

#include "coordinator/metadata_store.h"
#include "storage/mongo/handles.h"
#include "storage/mongo/mongo_client.h"

namespace aviary::coordinator {
namespace {

using mongo::CollectionPtr;
using mongo::CursorPtr;
using mongo::ScopedBson;

constexpr int kDuplicateKey = 11000;
constexpr size_t kPluginChunk = 8 << 20;

int64_t UnixMillis(double unix_seconds) { return static_cast<int64_t>(unix_seconds * 1000.0); }

// Records read and written by the winning attempts: what the job's status reports as counts.
void SumWinners(const rpc::JobRecord& job, uint64_t* input_records, uint64_t* output_records) {
  for (const rpc::TaskRecord& t : job.maps()) {
    if (t.winner() >= 0 && t.winner() < t.attempts_size()) *input_records += t.attempts(t.winner()).result().records_in();
  }
  for (const rpc::TaskRecord& t : job.reduces()) {
    if (t.winner() >= 0 && t.winner() < t.attempts_size()) *output_records += t.attempts(t.winner()).result().records_out();
  }
}

// The queryable fields of a job document, beside its opaque record.
void AppendJobFields(const rpc::JobRecord& job, bson_t* doc) {
  BSON_APPEND_UTF8(doc, "name", job.spec().name().c_str());
  BSON_APPEND_UTF8(doc, "plugin", job.spec().plugin().c_str());
  BSON_APPEND_UTF8(doc, "input", job.spec().input_uri().c_str());
  BSON_APPEND_UTF8(doc, "output", job.spec().output_uri().c_str());
  BSON_APPEND_DATE_TIME(doc, "submitted", UnixMillis(job.submit_unix()));
  if (job.end_unix() > 0) {
    BSON_APPEND_DATE_TIME(doc, "ended", UnixMillis(job.end_unix()));
    BSON_APPEND_DOUBLE(doc, "seconds", job.end_unix() - job.submit_unix());
  }
  if (!job.error().empty()) BSON_APPEND_UTF8(doc, "error", job.error().c_str());
  BSON_APPEND_INT32(doc, "map_tasks", job.maps_size());
  BSON_APPEND_INT32(doc, "reduce_tasks", job.reduces_size());
  uint64_t input_records = 0, output_records = 0;
  SumWinners(job, &input_records, &output_records);
  BSON_APPEND_INT64(doc, "input_records", static_cast<int64_t>(input_records));
  BSON_APPEND_INT64(doc, "output_records", static_cast<int64_t>(output_records));
}

std::string LeaseId(uint64_t term) {
  char id[32];
  std::snprintf(id, sizeof id, "term-%020" PRIu64, term);
  return id;
}

class MongoStore : public MetadataStore {
 public:
  MongoStore(std::unique_ptr<mongo::Client> client, std::string db) : client_(std::move(client)), db_(std::move(db)) {}

  Status SaveJob(const rpc::JobRecord& job) override {
    ScopedBson fields;
    AppendJobFields(job, fields.get());
    return Upsert("jobs", job.job_id(), job.SerializeAsString(), rpc::JobState_Name(job.state()), job.term(),
                  fields.get());
  }
  Status DeleteJob(const std::string& job_id) override { return DeleteById("jobs", job_id); }
  Status DeleteWorker(const std::string& worker_id) override { return DeleteById("workers", worker_id); }
  Status SaveWorker(const rpc::WorkerRecord& worker) override {
    return Upsert("workers", worker.worker_id(), worker.SerializeAsString(), worker.alive() ? "alive" : "dead");
  }
  StatusOr<std::vector<rpc::JobRecord>> LoadJobs() override { return LoadAll<rpc::JobRecord>("jobs"); }
  StatusOr<std::vector<rpc::WorkerRecord>> LoadWorkers() override { return LoadAll<rpc::WorkerRecord>("workers"); }

  Status SavePlugin(const std::string& sha256, const std::string& library) override {
    const size_t chunks = (library.size() + kPluginChunk - 1) / kPluginChunk;
    for (size_t n = 0; n < chunks; ++n) {
      RETURN_IF_ERROR(Upsert("plugins", sha256 + ":" + std::to_string(n), library.substr(n * kPluginChunk, kPluginChunk),
                             "chunk"));
    }
    // The manifest goes last: a reader that sees it finds every chunk.
    return Upsert("plugins", sha256, std::to_string(chunks), "manifest");
  }

  StatusOr<std::string> LoadPlugin(const std::string& sha256) override {
    ASSIGN_OR_RETURN(std::string manifest, LoadRecord("plugins", sha256));
    const size_t chunks = std::stoul(manifest.empty() ? "0" : manifest);
    std::string library;
    for (size_t n = 0; n < chunks; ++n) {
      ASSIGN_OR_RETURN(std::string chunk, LoadRecord("plugins", sha256 + ":" + std::to_string(n)));
      library += chunk;
    }
    return library;
  }

  Status DeletePlugin(const std::string& sha256) override {
    StatusOr<std::string> manifest = LoadRecord("plugins", sha256);
    if (!manifest.ok()) return manifest.status().code() == StatusCode::kNotFound ? Status::OK() : manifest.status();
    // The manifest goes first: no reader then finds it with chunks missing.
    RETURN_IF_ERROR(DeleteById("plugins", sha256));
    const size_t chunks = std::stoul(manifest->empty() ? "0" : *manifest);
    for (size_t n = 0; n < chunks; ++n) RETURN_IF_ERROR(DeleteById("plugins", sha256 + ":" + std::to_string(n)));
    return Status::OK();
  }

  StatusOr<std::optional<Lease>> LatestLease() override {
    std::lock_guard<std::mutex> lock(mu_);
    CollectionPtr coll(Collection("leases"));
    ScopedBson filter, opts;
    BSON_APPEND_INT64(opts.get(), "limit", 1);
    bson_t sort;
    BSON_APPEND_DOCUMENT_BEGIN(opts.get(), "sort", &sort);
    BSON_APPEND_INT32(&sort, "_id", -1);
    bson_append_document_end(opts.get(), &sort);
    CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
    const bson_t* doc = nullptr;
    std::optional<Lease> lease;
    if (mongoc_cursor_next(cursor.get(), &doc)) {
      Lease l;
      bson_iter_t it;
      if (bson_iter_init_find(&it, doc, "term")) l.term = static_cast<uint64_t>(bson_iter_as_int64(&it));
      if (bson_iter_init_find(&it, doc, "seq")) l.seq = static_cast<uint64_t>(bson_iter_as_int64(&it));
      if (bson_iter_init_find(&it, doc, "holder") && BSON_ITER_HOLDS_UTF8(&it)) l.holder = bson_iter_utf8(&it, nullptr);
      lease = l;
    }
    bson_error_t error;
    if (mongoc_cursor_error(cursor.get(), &error)) return mongo::StatusFromBsonError(error, "reading the lease");
    return lease;
  }

  StatusOr<bool> TryAcquire(uint64_t term, const std::string& holder) override {
    std::lock_guard<std::mutex> lock(mu_);
    CollectionPtr coll(Collection("leases"));
    ScopedBson doc;
    const std::string id = LeaseId(term);
    BSON_APPEND_UTF8(doc.get(), "_id", id.c_str());
    BSON_APPEND_INT64(doc.get(), "term", static_cast<int64_t>(term));
    BSON_APPEND_UTF8(doc.get(), "holder", holder.c_str());
    BSON_APPEND_INT64(doc.get(), "seq", 0);
    bson_error_t error;
    if (mongoc_collection_insert_one(coll.get(), doc.get(), nullptr, nullptr, &error)) return true;
    if (error.code == kDuplicateKey) return false;
    return mongo::StatusFromBsonError(error, "claiming term " + std::to_string(term));
  }

  Status Renew(uint64_t term, uint64_t seq) override {
    std::lock_guard<std::mutex> lock(mu_);
    CollectionPtr coll(Collection("leases"));
    ScopedBson filter, update;
    const std::string id = LeaseId(term);
    BSON_APPEND_UTF8(filter.get(), "_id", id.c_str());
    bson_t set;
    BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
    BSON_APPEND_INT64(&set, "seq", static_cast<int64_t>(seq));
    bson_append_document_end(update.get(), &set);
    bson_error_t error;
    if (!mongoc_collection_update_one(coll.get(), filter.get(), update.get(), nullptr, nullptr, &error)) {
      return mongo::StatusFromBsonError(error, "renewing the lease");
    }
    return Status::OK();
  }

 private:
  mongoc_collection_t* Collection(const char* name) {
    return mongoc_client_get_collection(client_->get(), db_.c_str(), name);
  }

  // With a `term`, only a version of that term or an older one (or one without a term) is
  // replaced: the filter does not match a newer version, so the upsert tries an insert, which
  // fails on the duplicate _id.
  Status Upsert(const char* collection, const std::string& id, const std::string& record, const std::string& state,
                std::optional<uint64_t> term = std::nullopt, const bson_t* fields = nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    CollectionPtr coll(Collection(collection));
    ScopedBson filter, doc, opts;
    BSON_APPEND_UTF8(filter.get(), "_id", id.c_str());
    if (term) {
      bson_t either, older, missing, cond;
      BSON_APPEND_ARRAY_BEGIN(filter.get(), "$or", &either);
      BSON_APPEND_DOCUMENT_BEGIN(&either, "0", &older);
      BSON_APPEND_DOCUMENT_BEGIN(&older, "term", &cond);
      BSON_APPEND_INT64(&cond, "$lte", static_cast<int64_t>(*term));
      bson_append_document_end(&older, &cond);
      bson_append_document_end(&either, &older);
      BSON_APPEND_DOCUMENT_BEGIN(&either, "1", &missing);
      BSON_APPEND_DOCUMENT_BEGIN(&missing, "term", &cond);
      BSON_APPEND_BOOL(&cond, "$exists", false);
      bson_append_document_end(&missing, &cond);
      bson_append_document_end(&either, &missing);
      bson_append_array_end(filter.get(), &either);
    }
    BSON_APPEND_UTF8(doc.get(), "_id", id.c_str());
    if (term) BSON_APPEND_INT64(doc.get(), "term", static_cast<int64_t>(*term));
    BSON_APPEND_UTF8(doc.get(), "state", state.c_str());
    if (fields != nullptr) bson_concat(doc.get(), fields);
    BSON_APPEND_BINARY(doc.get(), "record", BSON_SUBTYPE_BINARY, reinterpret_cast<const uint8_t*>(record.data()),
                       static_cast<uint32_t>(record.size()));
    BSON_APPEND_BOOL(opts.get(), "upsert", true);
    bson_error_t error;
    if (!mongoc_collection_replace_one(coll.get(), filter.get(), doc.get(), opts.get(), nullptr, &error)) {
      if (term && error.code == kDuplicateKey) {
        return Aborted(std::string(collection) + " " + id + " was saved by a coordinator newer than term " +
                       std::to_string(*term));
      }
      return mongo::StatusFromBsonError(error, std::string("saving ") + collection + " " + id);
    }
    return Status::OK();
  }

  Status DeleteById(const char* collection, const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    CollectionPtr coll(Collection(collection));
    ScopedBson filter;
    BSON_APPEND_UTF8(filter.get(), "_id", id.c_str());
    bson_error_t error;
    if (!mongoc_collection_delete_one(coll.get(), filter.get(), nullptr, nullptr, &error)) {
      return mongo::StatusFromBsonError(error, std::string("deleting ") + collection + " " + id);
    }
    return Status::OK();
  }

  // The `record` bytes of the document `id`.
  StatusOr<std::string> LoadRecord(const char* collection, const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    CollectionPtr coll(Collection(collection));
    ScopedBson filter;
    BSON_APPEND_UTF8(filter.get(), "_id", id.c_str());
    CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), nullptr, nullptr));
    const bson_t* doc = nullptr;
    if (!mongoc_cursor_next(cursor.get(), &doc)) {
      bson_error_t error;
      if (mongoc_cursor_error(cursor.get(), &error)) return mongo::StatusFromBsonError(error, "loading " + id);
      return NotFound(std::string("no ") + collection + " document " + id);
    }
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, "record") || !BSON_ITER_HOLDS_BINARY(&it)) return DataLoss("bad document " + id);
    uint32_t len = 0;
    const uint8_t* data = nullptr;
    bson_iter_binary(&it, nullptr, &len, &data);
    return std::string(reinterpret_cast<const char*>(data), len);
  }

  template <typename Record>
  StatusOr<std::vector<Record>> LoadAll(const char* collection) {
    std::lock_guard<std::mutex> lock(mu_);
    CollectionPtr coll(Collection(collection));
    ScopedBson filter;
    CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), nullptr, nullptr));
    std::vector<Record> records;
    const bson_t* doc = nullptr;
    while (mongoc_cursor_next(cursor.get(), &doc)) {
      bson_iter_t it;
      if (!bson_iter_init_find(&it, doc, "record") || !BSON_ITER_HOLDS_BINARY(&it)) continue;
      uint32_t len = 0;
      const uint8_t* data = nullptr;
      bson_iter_binary(&it, nullptr, &len, &data);
      Record r;
      if (!r.ParseFromArray(data, static_cast<int>(len))) return DataLoss(std::string("corrupt record in ") + collection);
      records.push_back(std::move(r));
    }
    bson_error_t error;
    if (mongoc_cursor_error(cursor.get(), &error)) {
      return mongo::StatusFromBsonError(error, std::string("loading ") + collection);
    }
    return records;
  }

  std::mutex mu_;  // a mongoc_client_t is not thread-safe
  std::unique_ptr<mongo::Client> client_;
  const std::string db_;
};

}  // namespace

StatusOr<std::unique_ptr<MetadataStore>> MetadataStore::OpenMongo(const std::string& uri) {
  mongo::InitDriver();
  // The URI names a database, not a collection: mongodb://HOST:PORT/DB.
  const size_t scheme = uri.find("://");
  const size_t slash = scheme == std::string::npos ? std::string::npos : uri.find('/', scheme + 3);
  if (uri.rfind("mongodb://", 0) != 0 || slash == std::string::npos || slash + 1 >= uri.size()) {
    return InvalidArgument("--metadata must look like mongodb://HOST:PORT/DB, not '" + mongo::RedactUri(uri) + "'");
  }
  std::string db = uri.substr(slash + 1);
  db = db.substr(0, db.find('?'));
  if (db.empty() || db.find_first_of("./\\ \"$") != std::string::npos) {
    return InvalidArgument("--metadata names an invalid database '" + db + "'");
  }
  const std::string server = uri.substr(0, slash + 1) + (uri.find('?') != std::string::npos ? uri.substr(uri.find('?')) : "");
  ASSIGN_OR_RETURN(auto client, mongo::Client::Connect(server));
  return std::unique_ptr<MetadataStore>(new MongoStore(std::move(client), db));
}

}  // namespace aviary::coordinator
