#include "storage/mongo/snapshot.h"

#include <algorithm>

#include "storage/mongo/handles.h"

namespace aviary::mongo {
namespace {

constexpr int kSnapshotTooOld = 239;

ClusterTime Pack(uint32_t seconds, uint32_t increment) { return static_cast<ClusterTime>(seconds) << 32 | increment; }

}  // namespace

std::string ClusterTimeText(ClusterTime time) {
  return "Timestamp(" + std::to_string(time >> 32) + ", " + std::to_string(time & 0xffffffffu) + ")";
}

std::optional<ClusterTime> SnapshotTimeOf(const bson_t* reply) {
  bson_iter_t it;
  if (!bson_iter_init(&it, reply) || !bson_iter_find_descendant(&it, "cursor.atClusterTime", &it) ||
      !BSON_ITER_HOLDS_TIMESTAMP(&it)) {
    return std::nullopt;
  }
  uint32_t seconds = 0, increment = 0;
  bson_iter_timestamp(&it, &seconds, &increment);
  if (seconds == 0 && increment == 0) return std::nullopt;
  return Pack(seconds, increment);
}

SnapshotProbe ProbeSnapshot(Client* client, const std::string& source, const std::string& db, const std::string& coll) {
  SnapshotProbe probe;
  probe.source = source;
  // An _id equality no document has: servers answer it from the _id index (FerretDB would scan
  // the whole collection for anything else), leave no cursor open, and still choose a snapshot.
  ScopedBson command, reply, filter, concern;
  BSON_APPEND_UTF8(command.get(), "find", coll.c_str());
  BSON_APPEND_UTF8(filter.get(), "_id", "aviary: snapshot probe");
  BSON_APPEND_DOCUMENT(command.get(), "filter", filter.get());
  BSON_APPEND_BOOL(command.get(), "singleBatch", true);
  BSON_APPEND_UTF8(concern.get(), "level", "snapshot");
  BSON_APPEND_DOCUMENT(command.get(), "readConcern", concern.get());
  bson_error_t error;
  if (!mongoc_client_command_simple(client->get(), db.c_str(), command.get(), nullptr, reply.get(), &error)) {
    probe.refusal = std::string("refused readConcern \"snapshot\": ") + error.message;
    return probe;
  }
  probe.time = SnapshotTimeOf(reply.get());
  if (!probe.time) probe.refusal = "ignored readConcern \"snapshot\" (its reply names no atClusterTime)";
  return probe;
}

std::optional<ClusterTime> CommonReadTime(const std::vector<SnapshotProbe>& probes) {
  if (probes.empty()) return std::nullopt;
  ClusterTime earliest = ~ClusterTime{0};
  for (const SnapshotProbe& p : probes) {
    if (!p.time) return std::nullopt;
    earliest = std::min(earliest, *p.time);
  }
  return earliest;
}

std::string ConsistencyNote(const std::vector<SnapshotProbe>& probes) {
  if (std::optional<ClusterTime> time = CommonReadTime(probes)) {
    return "one point in time: every source read at cluster time " + ClusterTimeText(*time) +
           " (readConcern snapshot)";
  }
  for (const SnapshotProbe& p : probes) {
    if (p.time) continue;
    return "no single point in time: each source is read at its own time, because " + p.source + " " + p.refusal +
           "; a chunk migration during the job fails it before commit";
  }
  return "";
}

mongoc_cursor_t* FindAtClusterTime(Client* client, const std::string& db, const std::string& coll,
                                   const bson_t* filter, const bson_t* options, ClusterTime time,
                                   bson_error_t* error) {
  ScopedBson command;
  BSON_APPEND_UTF8(command.get(), "find", coll.c_str());
  BSON_APPEND_DOCUMENT(command.get(), "filter", filter);
  bson_concat(command.get(), options);
  bson_t concern;
  bson_append_document_begin(command.get(), "readConcern", -1, &concern);
  BSON_APPEND_UTF8(&concern, "level", "snapshot");
  bson_append_timestamp(&concern, "atClusterTime", -1, static_cast<uint32_t>(time >> 32),
                        static_cast<uint32_t>(time & 0xffffffffu));
  bson_append_document_end(command.get(), &concern);
  bson_t reply;  // initialised by the command, failed or not; the cursor takes it over (libmongoc's pattern)
  if (!mongoc_client_read_command_with_opts(client->get(), db.c_str(), command.get(), nullptr, nullptr, &reply, error)) {
    bson_destroy(&reply);
    return nullptr;
  }
  return mongoc_cursor_new_from_command_reply_with_opts(client->get(), &reply, nullptr);
}

Status CursorError(const bson_error_t& error, ClusterTime time, const std::string& context) {
  if (time != 0 && static_cast<int>(error.code) == kSnapshotTooOld) {
    return FailedPrecondition(context + ": the servers no longer keep the data as of cluster time " +
                              ClusterTimeText(time) + " the job reads at (" + error.message +
                              "): the job ran longer than their snapshot history window "
                              "(minSnapshotHistoryWindowInSeconds, 300 s by default); raise it or split the job");
  }
  return StatusFromBsonError(error, context);
}

}  // namespace aviary::mongo
