// The input format for `files:GLOB`: every file the glob matches, read as lines of text, or as
// one JSON document per line for files named *.jsonl.
//
// Splits: the matched files, in glob order, are one virtual byte stream cut into contiguous byte
// ranges (see split_planner.h); a line belongs to the split holding its first byte. Without a
// requested count the splits are DefaultSplitBoundaries' (large first, then ever smaller). An input
// whose files are all empty has zero splits (the job then succeeds with an empty result).
//
// Records: a text line is Record(text = line, document = nullptr); empty lines are records too.
// A JSON line is Record(text = the string at the text field, or empty; document = the line as
// BSON); blank JSON lines are skipped. Record::source() is {file as matched, offset of the line}.
//
// Thread safety: not thread-safe; use one object per thread.
#ifndef AVIARY_STORAGE_FILES_FILES_INPUT_H_
#define AVIARY_STORAGE_FILES_FILES_INPUT_H_

#include <cstddef>
#include <memory>
#include <string>

#include "common/env.h"
#include "storage/input.h"

namespace aviary {

struct FilesInputOptions {
  // Dotted path of the field that Record::text() reads from JSON documents.
  std::string text_field{kDefaultTextField};
  // Count malformed JSON lines in InputStats::bad_records instead of failing the split.
  bool skip_bad_records = false;
  // Size of each read; tests make it tiny so lines cross chunk boundaries.
  size_t read_size = size_t{1} << 20;
  // Ranges of at least this many bytes are read from a mapping of their file (Env::MapFile)
  // when the Env can map it, instead of copied into the read buffer: copying is some 6% of a
  // word count's CPU. Smaller ones are read, which costs less than mapping and unmapping.
  uint64_t map_min_bytes = uint64_t{4} << 20;
};

// REQUIRES: `env` outlives the returned object.
std::unique_ptr<InputFormat> NewFilesInput(std::string glob, FilesInputOptions options, Env* env);

}  // namespace aviary

#endif  // AVIARY_STORAGE_FILES_FILES_INPUT_H_
