// Reading segments back: block by block, every block checked against its checksum, records
// handed out as views into the current block.
#ifndef AVIARY_SHUFFLE_SEGMENT_READER_H_
#define AVIARY_SHUFFLE_SEGMENT_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/env.h"
#include "common/status.h"

namespace aviary::shuffle {

// Reads the segments of a file in order: a fetched segment file holds one, a spill run or map
// output file holds R back to back. Corruption and truncation fail with DataLoss naming the file
// and offset. Thread safety: not thread-safe.
class SegmentReader {
 public:
  // `name` (usually the path) appears in error messages.
  SegmentReader(std::unique_ptr<SequentialFile> file, std::string name);
  SegmentReader(const SegmentReader&) = delete;
  SegmentReader& operator=(const SegmentReader&) = delete;

  // Starts the next segment of the file, positioned at its first record (!Valid() if empty).
  // REQUIRES: the previous segment, if any, was read to its end.
  Status StartSegment();

  bool Valid() const { return valid_; }
  // The current encoded key and value. REQUIRES: Valid(). The views last until the next call
  // to Next() or StartSegment().
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }

  // Moves to the next record; !Valid() after the segment's last. REQUIRES: Valid().
  Status Next() { return pos_ < limit_ ? ParseRecord() : NextBlock(); }

  // DataLoss unless the file ends right after the segment just read.
  Status ExpectEndOfFile();

  const std::string& name() const { return name_; }
  uint64_t bytes_read() const { return offset_; }

 private:
  Status NextBlock();
  Status LoadBlock(bool* end_of_segment);
  Status ParseRecord();
  Status ReadFully(size_t n, char* dst, size_t* got);
  Status Corrupt(std::string_view what, uint64_t offset) const;

  std::unique_ptr<SequentialFile> file_;
  const std::string name_;
  uint64_t offset_ = 0;        // bytes consumed from the file
  uint64_t block_offset_ = 0;  // file offset of the current block's header
  std::string stored_;         // compressed bytes of the current block
  std::string raw_;            // its records
  const char* pos_ = nullptr;  // next record in raw_
  const char* limit_ = nullptr;
  std::string_view key_;
  std::string_view value_;
  bool valid_ = false;
};

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_SEGMENT_READER_H_
