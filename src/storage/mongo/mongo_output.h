// The output format for `--output mongodb://HOST:PORT/DB.COLL`, with MongoDB mapReduce's out
// modes (the output option "out-mode", `--out-mode`):
//   replace (default)  the target becomes exactly the job's result, swapped in at commit;
//   merge              result documents overwrite target documents with the same _id, others stay;
//   reduce             the job's input also reads the existing target (ExtraInputSplits: one
//                      passthrough split), so its reduce folds each key's new result with the
//                      target's old value (shuffle/existing_result.h), under the old _id; the
//                      commit then upserts like merge: target documents of keys without a new
//                      result are not touched at all.
//
// Every reduce attempt writes {_id: key, value: value} straight into the job's one staged
// collection aviary_tmp_<job>_staged in the target's database (unordered bulk inserts in batches,
// all partitions at once), so committing copies nothing. A retried partition's attempt finds
// what an earlier attempt of it wrote: a duplicate _id that is byte for byte its own key is
// accepted (MongoWriter::AcceptReplays). That relies on a retried task writing the same keys, as
// Hadoop's and Spark's direct output committers do, and the commit checks it: the result must
// hold exactly as many documents as the winning attempts wrote, or nothing is committed.
// CommitJob: the staged collection is renamed to aviary_tmp_<job>_result (late writers of
// attempts that lost re-create _staged, never _result), counted, and marked sealed with
// aviary_tmp_<job>_committing; then (replace) the target's indexes are copied and the result is
// renamed over the target (one atomic renameCollection with dropTarget on MongoDB; on FerretDB,
// which lacks dropTarget, the old target is first renamed aside to aviary_tmp_<job>_old, so
// readers may briefly find no target but never a partial one), or (merge, reduce) the result is
// upserted into the target by _id, not atomically (as in MongoDB). Each step can be redone after
// a coordinator failover. Afterwards every aviary_tmp_<job>_* collection is dropped. AbortJob
// drops them too and leaves the target as it was (restoring it from _old if a commit was
// interrupted mid-swap).
//
// Thread safety: not thread-safe; one object per thread. Writers are independent.
#ifndef AVIARY_STORAGE_MONGO_MONGO_OUTPUT_H_
#define AVIARY_STORAGE_MONGO_MONGO_OUTPUT_H_

#include <memory>
#include <string>

#include "storage/output.h"

namespace aviary::mongo {

struct MongoOutputOptions {
  std::string out_mode = "replace";  // replace | merge | reduce
  int batch_size = 100;              // documents per bulk write; 100 is FerretDB's sweet spot
  int timeout_ms = 5000;             // server selection and connect timeout
};

// InvalidArgument naming --out-mode unless `out_mode` is replace, merge, reduce or empty.
Status CheckOutMode(const std::string& out_mode);

// InvalidArgument for a malformed URI or an unknown out mode; no server is contacted here.
StatusOr<std::unique_ptr<OutputFormat>> NewMongoOutput(const std::string& uri, MongoOutputOptions options);

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_MONGO_OUTPUT_H_
