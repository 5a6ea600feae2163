// Writing map output files and spill runs (one format, see format.h).
#ifndef AVIARY_SHUFFLE_MAP_FILE_H_
#define AVIARY_SHUFFLE_MAP_FILE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "shuffle/map_output.h"

namespace aviary::shuffle {

// Streams records into R segments of blocks, then the index and trailer.
// Thread safety: not thread-safe.
class MapFileWriter {
 public:
  // Creates (truncates) the file at `path`.
  static StatusOr<std::unique_ptr<MapFileWriter>> Open(Env* env, const std::string& path, uint32_t num_partitions,
                                                       bool compress);

  // Appends one record (encoded key and value, see key.h).
  // REQUIRES: calls come in (partition, key order) order; partition < num_partitions.
  Status Add(uint32_t partition, std::string_view key, std::string_view value);

  // Ends the remaining segments, writes index and trailer, flushes (no fsync) and closes.
  // REQUIRES: called once, last.
  Status Finish();

  // The byte range of each segment; complete after Finish().
  const std::vector<SegmentRange>& index() const { return index_; }
  // Records added, and bytes written (the whole file after Finish()).
  uint64_t records() const { return records_; }
  uint64_t bytes() const { return offset_; }

 private:
  MapFileWriter(std::unique_ptr<WritableFile> file, uint32_t num_partitions, bool compress);

  Status EndSegmentsBefore(uint32_t partition);
  Status EndSegment();
  Status FlushBlock();
  Status Write(std::string_view data);

  std::unique_ptr<WritableFile> file_;
  const uint32_t num_partitions_;
  const bool compress_;
  uint32_t partition_ = 0;      // the segment being written
  uint64_t offset_ = 0;         // bytes written so far
  uint64_t records_ = 0;
  uint64_t segment_start_ = 0;  // offset of the current segment
  std::string raw_;             // records of the block being built
  std::string compressed_;
  uint32_t skip_ = 0;     // blocks to store raw without trying LZ4
  uint32_t backoff_ = 1;  // the next skip_ after a block that did not shrink enough
  std::vector<SegmentRange> index_;
};

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_MAP_FILE_H_
