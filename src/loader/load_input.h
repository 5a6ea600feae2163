// The documents `aviary load` reads from a file: JSON lines (*.jsonl, *.json: one document a line,
// extended JSON as libbson parses it), a mongodump BSON file (*.bson: concatenated documents), or
// text (anything else: one {_id: line number (int64, 1-based), text: line} a line).
//
// Thread safety: a DocumentSet is filled by one thread and then read-only.
#ifndef AVIARY_LOADER_LOAD_INPUT_H_
#define AVIARY_LOADER_LOAD_INPUT_H_

#include <bson/bson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace aviary::loader {

// Documents as one buffer of concatenated BSON, each with where it came from (for messages).
class DocumentSet {
 public:
  // `source` names the input in messages; `by_line` says origins are line numbers (else the
  // documents' ordinals).
  DocumentSet(std::string source, bool by_line) : source_(std::move(source)), by_line_(by_line) {}

  // Appends a copy of `doc`, with a new ObjectId `_id` first when it has none (as drivers do).
  void Add(const bson_t* doc, uint64_t origin);

  size_t size() const { return offsets_.size(); }
  uint64_t bytes() const { return buffer_.size(); }
  // The BSON bytes of document `i`. Valid until the next Add().
  std::string_view doc(size_t i) const;
  // "FILE:LINE" or "FILE: document N": where document `i` came from.
  std::string Where(size_t i) const;
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  bool by_line_;
  std::string buffer_;
  std::vector<size_t> offsets_;
  std::vector<uint64_t> origins_;
};

// Reads the file at `path` in the format its name implies. InvalidArgument "FILE:LINE: ..." for
// a malformed line, NotFound when the file cannot be opened.
StatusOr<DocumentSet> ReadDocuments(const std::string& path);

// The format ReadDocuments picks for `path`: "json", "bson" or "text".
std::string InputFormatOf(const std::string& path);

}  // namespace aviary::loader

#endif  // AVIARY_LOADER_LOAD_INPUT_H_
