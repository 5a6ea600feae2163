// The reduce side of the shuffle: k-way merges the sorted segments fetched from every map output
// of one partition, groups values by key, calls Reduce() (skipped for a single value, as MongoDB
// does) and Finalize(), and hands each result to the output writer in key order.
#ifndef AVIARY_SHUFFLE_REDUCE_H_
#define AVIARY_SHUFFLE_REDUCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "aviary/job.h"
#include "common/env.h"
#include "common/status.h"
#include "storage/output.h"

namespace aviary::shuffle {

struct ReduceStats {
  uint64_t records_in = 0;   // values read from the segments
  uint64_t bytes_in = 0;
  uint64_t keys_out = 0;     // documents written (keys with only an existing document write none)
  uint64_t groups = 0;       // distinct keys
  uint64_t reduce_calls = 0; // folds of a key's values into one (new values, then the existing result)
  uint64_t bytes_out = 0;    // the written documents {_id, value} as BSON
};

// The size of the BSON document {_id: id, value: value}.
uint64_t ResultDocumentBytes(ValueView id, ValueView value);

// Called every so many records so the runner can report progress (and prove it is not stuck).
using ProgressFn = void (*)(void* arg, uint64_t records);

// `segment_files` are files each holding one segment exactly as LocatePartition() delimits it.
// A corrupt segment (checksum mismatch) fails with DataLoss naming the file.
Status RunReduce(Env* env, Job* job, const std::vector<std::string>& segment_files, OutputWriter* out,
                 ReduceStats* stats, ProgressFn progress = nullptr, void* progress_arg = nullptr);

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_REDUCE_H_
