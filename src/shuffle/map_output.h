// The map side of the shuffle: collects an attempt's emitted pairs, folds values per key with
// the job's combiner in a hash table, partitions keys into R buckets, spills sorted runs to local
// disk when the table exceeds the memory budget, and finally merges everything into one map
// output file holding R sorted partition segments plus an index. See src/shuffle/FORMAT.md for
// the file format and the key order.
#ifndef AVIARY_SHUFFLE_MAP_OUTPUT_H_
#define AVIARY_SHUFFLE_MAP_OUTPUT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aviary/job.h"
#include "common/env.h"
#include "common/status.h"

namespace aviary::shuffle {

struct MapOutputOptions {
  uint32_t num_partitions = 1;
  uint64_t memory_budget_bytes = 256ull << 20;
  std::string spill_dir;  // private to the attempt; spill runs go here (made at the first spill)
  bool compress = true;   // LZ4 blocks in spills and the output file
  // Out mode "reduce": this attempt reads the existing target through EmitExisting() only, and
  // its values are never combined (the reduce side tells old from new, see existing_result.h).
  bool existing_results = false;
};

struct MapOutputStats {
  std::vector<uint64_t> partition_bytes;  // size of each partition's segment in the output file
  uint64_t records_emitted = 0;
  uint64_t records_out = 0;  // distinct keys written after combining
  uint64_t spills = 0;
  // Engine counters (rpc::TaskCounters has their definitions).
  uint64_t map_emits = 0;          // Emit() calls (EmitExisting() not included)
  uint64_t existing_records = 0;   // EmitExisting() calls
  uint64_t combine_input_records = 0;
  uint64_t combine_output_records = 0;
  uint64_t spilled_records = 0;
  uint64_t spilled_bytes = 0;
  uint64_t output_records = 0;     // pairs in the output file (kNone: every value)
  uint64_t output_bytes = 0;       // the output file's size
  uint64_t reduce_calls = 0;       // folds of a key's values into one (combiner and spill merges)
  std::vector<std::pair<std::string, int64_t>> counters;  // from MapContext::Count
};

// Thread safety: single-threaded, like the map loop that feeds it.
class MapOutputCollector : public MapContext {
 public:
  // `job` is borrowed and must outlive the collector.
  static StatusOr<std::unique_ptr<MapOutputCollector>> Create(Env* env, Job* job, const MapOutputOptions& options);

  // Emits a document of the existing target of out mode "reduce" under its _id (canonical, like
  // every key), tagged so the reduce side knows it is no new value. A document without _id is
  // skipped. REQUIRES: MapOutputOptions::existing_results.
  virtual void EmitExisting(const DocumentView& document) = 0;

  // The first error hit inside Emit() (a failed spill, a Reduce() that threw). Emit() ignores
  // further pairs after an error; the map loop checks this and stops.
  virtual const Status& status() const = 0;

  // Bytes in [begin, end) stay readable until the next call (nullptr, nullptr: none): the
  // input's read buffer, which the keys of a word count point into. A short key inside it is
  // loaded in whole words without care for where it ends (see LoadPaddedShortKey in hash.h).
  virtual void SetReadableRange(const char* begin, const char* end) = 0;

  // The context to hand the job's next Map() call (one record, or a block of lines): the
  // collector itself, or a leaner context with the same effect for the emits common in that
  // state. Valid until Map() returns.
  virtual MapContext& ContextForNextRecord() { return *this; }

  // Emit() calls so far, for live progress.
  virtual uint64_t emitted() const = 0;

  // Writes the final output file at `output_path` (atomically: temporary name, then rename).
  virtual Status Finish(const std::string& output_path, MapOutputStats* stats) = 0;
};

struct SegmentRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

// Where partition `partition`'s segment lies in the finished map output file at `path`. The bytes
// of that range form a self-contained segment that the reduce side (shuffle/reduce.h) can read.
StatusOr<SegmentRange> LocatePartition(Env* env, const std::string& path, uint32_t partition);

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_MAP_OUTPUT_H_
