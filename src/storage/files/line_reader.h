// Reads the lines of one byte range of a file, by the rule that makes splits of one file
// partition its lines: a line belongs to the range that holds its first byte. So a reader
// starting mid-line skips that line's tail (the previous range owns it) and a reader reads past
// `end` to finish its last line.
//
// Lines are returned without their '\n' and without one trailing '\r'. A final line without '\n'
// is still a line; an empty file or range has none. Reads go through a caller-provided buffer in
// large chunks; a line is copied only when it spans two chunks.
//
// Thread safety: not thread-safe.
#ifndef AVIARY_STORAGE_FILES_LINE_READER_H_
#define AVIARY_STORAGE_FILES_LINE_READER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/env.h"
#include "common/status.h"

namespace aviary {

class LineReader {
 public:
  // REQUIRES: `file` is positioned at offset 0 and outlives the reader; `scratch` holds
  // `scratch_size` >= 1 bytes and is not used by anyone else while the reader lives.
  LineReader(SequentialFile* file, uint64_t start, uint64_t end, char* scratch, size_t scratch_size);

  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Sets `*line` to the next line of the range and `*offset` to the file offset of its first
  // byte, and returns true; `*line` is valid until the next call. Returns false at the end of
  // the range or on a read error; status() tells which. (Not a StatusOr: building one per line
  // costs more than finding the line.)
  bool Next(std::string_view* line, uint64_t* offset);
  // Like Next(), but returns as many whole lines of the range as the current chunk holds, in
  // one view: `*text` is those lines with the '\n's between them (and every '\r'), without the
  // last '\n'; `*lines` how many there are. A line that spans two chunks comes alone. For jobs
  // to which a line break is just a separator (Job::map_takes_line_blocks).
  bool NextBlock(std::string_view* text, uint64_t* offset, uint64_t* lines);
  const Status& status() const { return status_; }

 private:
  // Replaces the window with the next chunk of the file; false at end of file or on error.
  bool Fill();
  // Next() without dropping the line's trailing '\r'.
  bool ReadLine(std::string_view* line, uint64_t* offset);
  // Whether a line of the range starts at pos_, reading the first chunk if need be.
  bool AtLine();
  // Moves to the first line that starts at or after start_; false if there is none.
  bool SkipToFirstLine();

  SequentialFile* const file_;  // not owned
  const uint64_t start_;
  const uint64_t end_;
  char* const scratch_;  // not owned
  const size_t scratch_size_;

  bool positioned_ = false;
  bool eof_ = false;
  uint64_t pos_ = 0;         // file offset of window_.data()[0]
  std::string_view window_;  // unread bytes of the current chunk
  std::string carry_;        // a line spanning chunks, assembled here
  Status status_;            // the first read error
};

}  // namespace aviary

#endif  // AVIARY_STORAGE_FILES_LINE_READER_H_
