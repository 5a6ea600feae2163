#include "storage/files/jsonl.h"

#include <bson/bson.h>

#include <memory>

namespace aviary {
namespace {

constexpr char kBlanks[] = " \t\r\f\v";

using ReaderPtr = std::unique_ptr<bson_json_reader_t, decltype(&bson_json_reader_destroy)>;

// Reads one document from `reader` into a fresh `*doc`; 1 on success, 0 at end, -1 on error.
int ReadDocument(bson_json_reader_t* reader, bson_t* doc, bson_error_t* error) {
  bson_init(doc);
  const int r = bson_json_reader_read(reader, doc, error);
  if (r != 1) bson_destroy(doc);
  return r;
}

}  // namespace

// `*.json` too: mongoexport writes one document a line under that name, and `aviary load` reads
// it so; reading it as text lines would hand the map a string where it expects a document.
bool IsJsonLinesPath(std::string_view path) { return path.ends_with(".jsonl") || path.ends_with(".json"); }

bool IsBlankLine(std::string_view line) { return line.find_first_not_of(kBlanks) == std::string_view::npos; }

// Uses libbson's reader rather than bson_init_from_json() because only a second read can tell
// that a line holds more than one document (bson_init_from_json would drop the rest silently).
bool ParseJsonLine(std::string_view line, std::string* bson, std::string* error) {
  const size_t first = line.find_first_not_of(kBlanks);
  if (first == std::string_view::npos || line[first] != '{') {
    *error = "a JSON line must hold one object {...}";
    return false;
  }
  ReaderPtr reader(bson_json_data_reader_new(/*allow_multiple=*/false, line.size()), &bson_json_reader_destroy);
  bson_json_data_reader_ingest(reader.get(), reinterpret_cast<const uint8_t*>(line.data()), line.size());
  bson_t doc;
  bson_error_t err;
  if (ReadDocument(reader.get(), &doc, &err) != 1) {
    *error = err.message;
    return false;
  }
  bson->assign(reinterpret_cast<const char*>(bson_get_data(&doc)), doc.len);
  bson_destroy(&doc);
  const int extra = ReadDocument(reader.get(), &doc, &err);
  if (extra == 0) return true;
  if (extra == 1) bson_destroy(&doc);
  *error = extra == 1 ? "more than one JSON document on the line" : err.message;
  return false;
}

}  // namespace aviary
