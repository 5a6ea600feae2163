#include "storage/mongo/mongo_output.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/mongo/handles.h"
#include "storage/mongo/mongo_client.h"
#include "storage/mongo/mongo_split.pb.h"
#include "storage/mongo/mongo_writer.h"
#include "storage/mongo/queries.h"

namespace aviary::mongo {
namespace {

enum class OutMode { kReplace, kMerge, kReduce };

// Job ids are ours ("job-20261127-034000-7ab12"), but keep collection names safe regardless.
// No dots: FerretDB's renameCollection rejects collection names that contain them.
std::string Sanitize(const std::string& job_id) {
  std::string s = job_id;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  }
  return s;
}

std::string TempPrefix(const std::string& job_id) { return "aviary_tmp_" + Sanitize(job_id) + "_"; }

// Exists from SetupJob until the job commits or aborts (which drop every temp of the job): an
// attempt that outlived its job (a worker cut off, then back) finds it gone and writes nothing,
// as a files output's attempt finds _temporary/JOB gone.
std::string OpenMarker(const std::string& job_id) { return TempPrefix(job_id) + "open"; }

// What every reduce attempt of the job writes into, and what the commit renames to ResultName.
std::string StagedName(const std::string& job_id) { return TempPrefix(job_id) + "staged"; }

// The staged output once no attempt can write to it any more: late writers re-create
// StagedName, never this. Replace mode renames it over the target; merge and reduce copy it.
std::string ResultName(const std::string& job_id) { return TempPrefix(job_id) + "result"; }

// Created once the result is renamed and counted: a commit redone after a coordinator failover
// then knows that the result's absence means it was swapped in already (and that a StagedName
// it may find is a late writer's, not the job's output).
std::string CommittingMarker(const std::string& job_id) { return TempPrefix(job_id) + "committing"; }

constexpr std::string_view kTempPrefix = "aviary_tmp_";

// The sanitized job id in the name of one of a job's temporary collections
// (aviary_tmp_JOB_{open,staged,result,committing,old}, and _pN_aM of earlier versions), or "" for
// another name.
std::string TempJobOf(std::string_view name) {
  if (!name.starts_with(kTempPrefix)) return "";
  name.remove_prefix(kTempPrefix.size());
  for (std::string_view suffix : {"_open", "_staged", "_result", "_committing", "_old"}) {
    if (name.ends_with(suffix)) return std::string(name.substr(0, name.size() - suffix.size()));
  }
  const size_t a = name.rfind("_a"), p = a == std::string_view::npos ? a : name.rfind("_p", a);
  const auto digits = [](std::string_view d) {
    return !d.empty() && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (p == std::string_view::npos || !digits(name.substr(p + 2, a - p - 2)) || !digits(name.substr(a + 2))) return "";
  return std::string(name.substr(0, p));
}

Status CreateCollection(Client* client, const std::string& db, const std::string& coll) {
  DatabasePtr database(mongoc_client_get_database(client->get(), db.c_str()));
  bson_error_t error;
  mongoc_collection_t* created = mongoc_database_create_collection(database.get(), coll.c_str(), nullptr, &error);
  if (created == nullptr) return StatusFromBsonError(error, "creating " + db + "." + coll + " on " + client->redacted_uri());
  mongoc_collection_destroy(created);
  return Status::OK();
}

// Upserts every document of db.from into db.to, replacing by _id (out modes merge and reduce);
// safe to repeat after an interrupted copy.
Status UpsertAll(Client* client, const std::string& db, const std::string& from, const std::string& to,
                 int batch_size) {
  CollectionPtr source(mongoc_client_get_collection(client->get(), db.c_str(), from.c_str()));
  CollectionPtr target(mongoc_client_get_collection(client->get(), db.c_str(), to.c_str()));
  ScopedBson filter, find_opts, upsert_opts;
  BSON_APPEND_INT32(find_opts.get(), "batchSize", 10000);
  BSON_APPEND_BOOL(upsert_opts.get(), "upsert", true);
  CursorPtr cursor(mongoc_collection_find_with_opts(source.get(), filter.get(), find_opts.get(), nullptr));
  const std::string context = "copying " + db + "." + from + " into " + to + " on " + client->redacted_uri();
  BulkPtr bulk = NewUnorderedBulk(target.get());
  int pending = 0;
  const bson_t* doc = nullptr;
  bson_error_t error{};
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    ScopedBson by_id;
    bson_iter_t id;
    if (!bson_iter_init_find(&id, doc, "_id") || !bson_append_iter(by_id.get(), "_id", 3, &id) ||
        !mongoc_bulk_operation_replace_one_with_opts(bulk.get(), by_id.get(), doc, upsert_opts.get(), &error)) {
      return StatusFromBsonError(error, context);
    }
    if (++pending >= batch_size) {
      RETURN_IF_ERROR(ExecuteBulk(bulk.get(), context));
      bulk = NewUnorderedBulk(target.get());
      pending = 0;
    }
  }
  if (mongoc_cursor_error(cursor.get(), &error)) return StatusFromBsonError(error, context);
  return pending > 0 ? ExecuteBulk(bulk.get(), context) : Status::OK();
}

// Re-creates the secondary indexes of db.from on db.to, as mapReduce's replace mode keeps the
// target's indexes.
Status CopyIndexes(Client* client, const std::string& db, const std::string& from, const std::string& to) {
  CollectionPtr source(mongoc_client_get_collection(client->get(), db.c_str(), from.c_str()));
  CursorPtr cursor(mongoc_collection_find_indexes_with_opts(source.get(), nullptr));
  ScopedBson command, indexes_doc;
  int n = 0;
  const bson_t* spec = nullptr;
  while (mongoc_cursor_next(cursor.get(), &spec)) {
    bson_iter_t it;
    if (bson_iter_init_find(&it, spec, "name") && std::string_view(bson_iter_utf8(&it, nullptr)) == "_id_") continue;
    ScopedBson clean;  // the spec without its version and namespace, which createIndexes rejects
    bson_copy_to_excluding_noinit(spec, clean.get(), "v", "ns", nullptr);
    const std::string index = std::to_string(n++);
    bson_append_document(indexes_doc.get(), index.c_str(), -1, clean.get());
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    if (error.code == 26) return Status::OK();  // no target yet: no indexes to keep
    return StatusFromBsonError(error, "listing indexes of " + db + "." + from);
  }
  if (n == 0) return Status::OK();
  BSON_APPEND_UTF8(command.get(), "createIndexes", to.c_str());
  bson_append_array(command.get(), "indexes", -1, indexes_doc.get());
  DatabasePtr database(mongoc_client_get_database(client->get(), db.c_str()));
  ScopedBson reply;
  if (!mongoc_database_write_command_with_opts(database.get(), command.get(), nullptr, reply.get(), &error)) {
    return StatusFromBsonError(error, "copying the indexes of " + db + "." + from + " to " + to);
  }
  return Status::OK();
}

class MongoOutput : public OutputFormat {
 public:
  MongoOutput(std::string uri, CollectionUri parsed, OutMode mode, MongoOutputOptions options)
      : uri_(std::move(uri)), parsed_(std::move(parsed)), mode_(mode), options_(std::move(options)) {}

  Status SetupJob(const std::string& job_id) override;
  StatusOr<std::unique_ptr<OutputWriter>> OpenTaskWriter(const std::string& job_id, uint32_t partition,
                                                         uint32_t attempt) override;
  Status CommitJob(const std::string& job_id, const std::vector<CommittedPartition>& winners) override;
  Status AbortJob(const std::string& job_id) override;
  StatusOr<std::vector<rpc::InputSplit>> ExtraInputSplits() override;
  std::string Describe() const override;
  // Out mode "reduce" reads the target on purpose (as MongoDB allows); the others would replace
  // or grow the collection the job is reading.
  Status CheckSparesInput(const InputFootprint& input) const override {
    if (mode_ == OutMode::kReduce) return Status::OK();
    const std::string key = CollectionKey(parsed_);
    for (const std::string& read : input.collections) {
      if (read == key) {
        return InvalidArgument("output collection " + db() + "." + target() +
                               " is the job's input collection: out mode " + ModeName() +
                               " would write over what the job reads (use another collection, or --out-mode reduce)");
      }
    }
    return Status::OK();
  }

 private:
  const char* ModeName() const { return mode_ == OutMode::kMerge ? "merge" : "replace"; }
  const std::string& db() const { return parsed_.database; }
  const std::string& target() const { return parsed_.collection; }
  StatusOr<std::unique_ptr<Client>> Connect() const { return Client::Connect(parsed_.server_uri, options_.timeout_ms); }
  // Renames the staged output to ResultName and checks that it holds exactly what the winners
  // wrote; then records that with the committing marker.
  Status SealResult(Client* client, const std::string& job_id, const std::vector<CommittedPartition>& winners);
  // FailedPrecondition (after dropping every temporary) unless the result holds as many documents
  // as the winners wrote.
  Status CheckResultCount(Client* client, const std::string& job_id, const std::vector<CommittedPartition>& winners);
  // Makes aviary_tmp_<job>_result the target.
  Status SwapIn(Client* client, const std::string& job_id);
  Status MergeInto(Client* client, const std::string& job_id);
  Status DropTemps(Client* client, const std::string& job_id);

  const std::string uri_;
  const CollectionUri parsed_;
  const OutMode mode_;
  const MongoOutputOptions options_;
};

// Drops the temporaries of jobs that have ended (no open marker): what a late attempt of such a
// job wrote and could not remove itself (killed between the commit and its Close). Returns the
// (sanitized) ids of the jobs still open.
StatusOr<std::set<std::string>> DropEndedJobsTemps(Client* client, const std::string& db) {
  ASSIGN_OR_RETURN(std::vector<std::string> temps, ListCollectionsWithPrefix(client, db, std::string(kTempPrefix)));
  std::set<std::string> open;
  for (const std::string& name : temps) {
    if (name.ends_with("_open")) open.insert(TempJobOf(name));
  }
  for (const std::string& name : temps) {
    const std::string job = TempJobOf(name);
    if (job.empty() || open.count(job) != 0) continue;
    spdlog::info("dropping {}.{}: left by an attempt of a job that has ended", db, name);
    RETURN_IF_ERROR(DropCollection(client, db, name));
  }
  return open;
}

Status MongoOutput::SetupJob(const std::string& job_id) {
  ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Connect());
  ASSIGN_OR_RETURN(const std::set<std::string> open, DropEndedJobsTemps(client.get(), db()));
  if (open.count(Sanitize(job_id)) != 0) return Status::OK();
  // Created up front, so that a job without output has a result to commit too; the marker
  // last, so that an open job always has it.
  RETURN_IF_ERROR(CreateCollection(client.get(), db(), StagedName(job_id)));
  return CreateCollection(client.get(), db(), OpenMarker(job_id));
}

StatusOr<std::unique_ptr<OutputWriter>> MongoOutput::OpenTaskWriter(const std::string& job_id, uint32_t /*partition*/,
                                                                    uint32_t /*attempt*/) {
  ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Connect());
  ASSIGN_OR_RETURN(const bool open, CollectionExists(client.get(), db(), OpenMarker(job_id)));
  if (!open) {
    return FailedPrecondition("job " + job_id + " has ended: " + db() + "." + OpenMarker(job_id) +
                              " is gone (its output was committed or aborted)");
  }
  // Every attempt writes straight into the job's one staged collection, so the commit copies
  // nothing. An earlier attempt of the same partition may have written some of the same keys.
  auto writer = std::make_unique<MongoWriter>(std::move(client), db(), StagedName(job_id), options_.batch_size);
  writer->AcceptReplays();
  writer->DropUnlessStillOpen(OpenMarker(job_id));
  return std::unique_ptr<OutputWriter>(std::move(writer));
}

Status MongoOutput::SealResult(Client* client, const std::string& job_id,
                               const std::vector<CommittedPartition>& winners) {
  const std::string staged = StagedName(job_id), result = ResultName(job_id);
  for (const CommittedPartition& w : winners) {
    if (w.location != staged) {
      return FailedPrecondition("partition " + std::to_string(w.partition) + " of job " + job_id + " was written to " +
                                w.location + ", not to " + staged + ": the job cannot be committed");
    }
  }
  ASSIGN_OR_RETURN(const bool result_exists, CollectionExists(client, db(), result));
  if (!result_exists) {
    ASSIGN_OR_RETURN(const bool staged_exists, CollectionExists(client, db(), staged));
    if (!staged_exists) {
      return FailedPrecondition("job " + job_id + " has no output to commit: " + db() + "." + staged + " is gone");
    }
    RETURN_IF_ERROR(RenameCollection(client, db(), staged, result, false));
  }
  RETURN_IF_ERROR(CheckResultCount(client, job_id, winners));
  return CreateCollection(client, db(), CommittingMarker(job_id));
}

Status MongoOutput::CheckResultCount(Client* client, const std::string& job_id,
                                     const std::vector<CommittedPartition>& winners) {
  // Each winner's keys are all stored (written, or found written by an earlier attempt of its
  // partition), so anything else in the result came from an attempt that lost and wrote a key
  // its partition's winner did not: a task that is not deterministic.
  int64_t expected = 0;
  for (const CommittedPartition& w : winners) expected += static_cast<int64_t>(w.records);
  const std::string result = ResultName(job_id);
  ASSIGN_OR_RETURN(int64_t stored, CountDocuments(client, db(), result, false));
  if (stored != expected) {
    ASSIGN_OR_RETURN(stored, CountDocuments(client, db(), result, true));  // the quick count may lag
  }
  if (stored == expected) return Status::OK();
  RETURN_IF_ERROR(DropTemps(client, job_id));
  const std::string counts = db() + "." + result + " holds " + std::to_string(stored) +
                             " documents where the winning reduce attempts wrote " + std::to_string(expected);
  return FailedPrecondition(
      stored > expected
          ? counts + ": an attempt that lost wrote keys its partition's winner did not, so the job's map or reduce "
                     "is not deterministic; nothing was committed"
          : counts + ": documents are missing; nothing was committed");
}

Status MongoOutput::SwapIn(Client* client, const std::string& job_id) {
  const std::string result = ResultName(job_id), old = TempPrefix(job_id) + "old";
  Status s = RenameCollection(client, db(), result, target(), true);
  if (s.code() != StatusCode::kUnimplemented) return s;
  // FerretDB has no dropTarget: move the old target aside first, so no crash loses both.
  ASSIGN_OR_RETURN(const bool target_exists, CollectionExists(client, db(), target()));
  if (target_exists) {
    RETURN_IF_ERROR(DropCollection(client, db(), old));
    RETURN_IF_ERROR(RenameCollection(client, db(), target(), old, false));
  }
  s = RenameCollection(client, db(), result, target(), false);
  if (!s.ok() && target_exists) (void)RenameCollection(client, db(), old, target(), false);
  return s;
}

Status MongoOutput::MergeInto(Client* client, const std::string& job_id) {
  // As MongoDB, the target exists after the job even when no document had to be written.
  ASSIGN_OR_RETURN(const bool target_exists, CollectionExists(client, db(), target()));
  if (!target_exists) RETURN_IF_ERROR(CreateCollection(client, db(), target()));
  return UpsertAll(client, db(), ResultName(job_id), target(), options_.batch_size);
}

Status MongoOutput::DropTemps(Client* client, const std::string& job_id) {
  ASSIGN_OR_RETURN(std::vector<std::string> temps, ListCollectionsWithPrefix(client, db(), TempPrefix(job_id)));
  for (const std::string& temp : temps) {
    if (temp != OpenMarker(job_id)) RETURN_IF_ERROR(DropCollection(client, db(), temp));
  }
  // Last: without it, a later job's SetupJob takes whatever is left of this one for garbage.
  return DropCollection(client, db(), OpenMarker(job_id));
}

Status MongoOutput::CommitJob(const std::string& job_id, const std::vector<CommittedPartition>& winners) {
  ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Connect());
  // Every step is safe to redo: a successor coordinator repeats the whole commit.
  ASSIGN_OR_RETURN(const bool sealed, CollectionExists(client.get(), db(), CommittingMarker(job_id)));
  if (!sealed) {
    ASSIGN_OR_RETURN(const bool open, CollectionExists(client.get(), db(), OpenMarker(job_id)));
    if (!open) {
      // The marker goes first once the output is in the target (below).
      spdlog::info("job {}: output already committed to {}", job_id, Describe());
      return DropTemps(client.get(), job_id);
    }
    RETURN_IF_ERROR(SealResult(client.get(), job_id, winners));
  }
  ASSIGN_OR_RETURN(const bool result_exists, CollectionExists(client.get(), db(), ResultName(job_id)));
  if (!result_exists) {
    // Sealed, and the result gone: only swapping it in removes it.
    spdlog::info("job {}: output already committed to {}", job_id, Describe());
  } else if (mode_ != OutMode::kReplace) {
    // reduce: the result holds only keys with new results, already reduced with the target's
    // old value and under its _id; every other target document must stay exactly as it is.
    RETURN_IF_ERROR(MergeInto(client.get(), job_id));
  } else {
    RETURN_IF_ERROR(CopyIndexes(client.get(), db(), target(), ResultName(job_id)));
    RETURN_IF_ERROR(SwapIn(client.get(), job_id));
  }
  // The open marker first: the job is over, so a redo must not seal again what a late writer
  // may have staged since, and attempts still running must find it ended.
  RETURN_IF_ERROR(DropCollection(client.get(), db(), OpenMarker(job_id)));
  return DropTemps(client.get(), job_id);
}

Status MongoOutput::AbortJob(const std::string& job_id) {
  ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Connect());
  // A commit interrupted between its two FerretDB renames left the old target aside: restore it.
  const std::string old = TempPrefix(job_id) + "old";
  ASSIGN_OR_RETURN(const bool old_exists, CollectionExists(client.get(), db(), old));
  if (old_exists) {
    ASSIGN_OR_RETURN(const bool target_exists, CollectionExists(client.get(), db(), target()));
    if (!target_exists) RETURN_IF_ERROR(RenameCollection(client.get(), db(), old, target(), false));
  }
  return DropTemps(client.get(), job_id);
}

StatusOr<std::vector<rpc::InputSplit>> MongoOutput::ExtraInputSplits() {
  std::vector<rpc::InputSplit> splits;
  if (mode_ != OutMode::kReduce) return splits;
  ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Connect());
  ASSIGN_OR_RETURN(const bool has_documents, CollectionHasDocuments(client.get(), db(), target()));
  if (!has_documents) return splits;
  MongoSplit m;
  m.set_shard_uri(parsed_.server_uri);
  m.set_entry_uri(parsed_.server_uri);
  m.set_namespace_(db() + "." + target());
  rpc::InputSplit split;
  split.set_payload(m.SerializeAsString());
  split.set_passthrough(true);
  split.set_source_uri(uri_);  // read by the MongoDB source, whatever the job's input is
  split.set_description("previous result " + m.namespace_());
  splits.push_back(std::move(split));
  return splits;
}

std::string MongoOutput::Describe() const { return RedactUri(uri_.substr(0, uri_.find('?'))); }

}  // namespace

Status CheckOutMode(const std::string& out_mode) {
  if (out_mode.empty() || out_mode == "replace" || out_mode == "merge" || out_mode == "reduce") return Status::OK();
  return InvalidArgument("--out-mode must be replace, merge or reduce, not '" + out_mode + "'");
}

StatusOr<std::unique_ptr<OutputFormat>> NewMongoOutput(const std::string& uri, MongoOutputOptions options) {
  ASSIGN_OR_RETURN(CollectionUri parsed, ParseCollectionUri(uri));
  OutMode mode;
  if (options.out_mode.empty() || options.out_mode == "replace") {
    mode = OutMode::kReplace;
  } else if (options.out_mode == "merge") {
    mode = OutMode::kMerge;
  } else if (options.out_mode == "reduce") {
    mode = OutMode::kReduce;
  } else {
    return CheckOutMode(options.out_mode);
  }
  // MongoDB refuses mapReduce output into its system databases; on a local cluster `config`
  // holds the chunk table, so writing there could break the cluster itself.
  for (const char* system : {"admin", "config", "local"}) {
    if (parsed.database == system) {
      return InvalidArgument("cannot write the output to database '" + parsed.database +
                             "': admin, config and local are MongoDB's own databases (mapReduce refuses them too)");
    }
  }
  if (parsed.collection.starts_with("system.")) {
    return InvalidArgument("cannot write the output to " + parsed.database + "." + parsed.collection +
                           ": system.* collections are MongoDB's own");
  }
  if (parsed.collection.starts_with("aviary_tmp_")) {
    return InvalidArgument("output collection " + parsed.collection + " uses the prefix of Aviary's temporary collections");
  }
  if (options.batch_size <= 0) options.batch_size = 100;
  return std::unique_ptr<OutputFormat>(new MongoOutput(uri, std::move(parsed), mode, std::move(options)));
}

}  // namespace aviary::mongo
