// The map side's external merge: sorted spill runs in, one file of the same format out, with the
// values of each key folded by the job's combiner across runs.
#ifndef AVIARY_SHUFFLE_RUN_MERGE_H_
#define AVIARY_SHUFFLE_RUN_MERGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "aviary/job.h"
#include "common/env.h"
#include "common/status.h"
#include "shuffle/map_output.h"

namespace aviary::shuffle {

class MapFileWriter;
class SegmentReader;
class GroupIterator;

// Thread safety: not thread-safe.
class RunMerger {
 public:
  // `env` and `job` are borrowed; `combiner` folds a key's values (the job's, or kNone).
  RunMerger(Env* env, Job* job, Combiner combiner, uint32_t num_partitions, bool compress);

  // Merges the runs at `inputs` into a new file at `output` (not deleting the inputs). Sets
  // `*keys` to the number of distinct keys written and `*index` to the segment ranges.
  Status Merge(const std::vector<std::string>& inputs, const std::string& output, uint64_t* keys,
               std::vector<SegmentRange>* index);

  // Over all Merge() calls: folds of a key's values into one, and records and bytes written.
  uint64_t folds() const { return folds_; }
  uint64_t records_written() const { return records_written_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  Status MergePartition(uint32_t partition, const std::vector<SegmentReader*>& runs, MapFileWriter* out);
  Status WriteGroup(uint32_t partition, const GroupIterator& group, MapFileWriter* out);

  Env* const env_;  // not owned
  Job* const job_;  // not owned
  const Combiner combiner_;
  const uint32_t num_partitions_;
  const bool compress_;
  uint64_t keys_ = 0;
  uint64_t folds_ = 0, records_written_ = 0, bytes_written_ = 0;
  std::vector<ValueView> views_;  // scratch
  std::string folded_;            // scratch: an encoded folded value
};

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_RUN_MERGE_H_
