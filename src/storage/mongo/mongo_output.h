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
// Each reduce attempt writes {_id: key, value: value} into its own temporary collection
// aviary_tmp_<job>_p<P>_a<A> in the target's database (unordered bulk inserts in batches), so a
// retried attempt can add no duplicate and lose nothing: only winners are promoted.
// CommitJob (replace): the first winner's collection is renamed to aviary_tmp_<job>_result,
// the others are copied in, and the result is renamed over the target (one atomic
// renameCollection with dropTarget on MongoDB; on FerretDB, which lacks dropTarget, the old target
// is first renamed aside to aviary_tmp_<job>_old, so readers may briefly find no target but never
// a partial one). CommitJob (merge, reduce): upserts by _id, not atomic (as in MongoDB). Afterwards every
// aviary_tmp_<job>_* collection is dropped. AbortJob drops them too and leaves the target as it
// was (restoring it from _old if a commit was interrupted mid-swap).
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

// The temporary collection of one reduce attempt.
std::string TempCollectionName(const std::string& job_id, uint32_t partition, uint32_t attempt);

// InvalidArgument naming --out-mode unless `out_mode` is replace, merge, reduce or empty.
Status CheckOutMode(const std::string& out_mode);

// InvalidArgument for a malformed URI or an unknown out mode; no server is contacted here.
StatusOr<std::unique_ptr<OutputFormat>> NewMongoOutput(const std::string& uri, MongoOutputOptions options);

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_MONGO_OUTPUT_H_
