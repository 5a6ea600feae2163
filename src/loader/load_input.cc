#include "loader/load_input.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "storage/files/jsonl.h"

namespace aviary::loader {
namespace {

struct BsonReaderDeleter {
  void operator()(bson_reader_t* r) const { bson_reader_destroy(r); }
};

std::string_view TrimTrailingCr(std::string_view line) {
  return !line.empty() && line.back() == '\r' ? line.substr(0, line.size() - 1) : line;
}

Status OpenError(const std::string& path) {
  return NotFound("cannot read --input " + path + ": " + std::strerror(errno));
}

// Each line goes through the storage layer's JSON-lines parser, the one the files: input uses:
// it refuses a line that holds more than one document rather than dropping the rest.
Status ReadJsonLines(std::ifstream& in, const std::string& path, DocumentSet* out) {
  std::string line;
  std::string bson;
  std::string error;
  for (uint64_t number = 1; std::getline(in, line); ++number) {
    const std::string_view text = TrimTrailingCr(line);
    if (IsBlankLine(text)) continue;
    const std::string where = path + ":" + std::to_string(number);
    if (text[text.find_first_not_of(" \t")] != '{') return InvalidArgument(where + ": expected a JSON object");
    if (!ParseJsonLine(text, &bson, &error)) return InvalidArgument(where + ": " + error);
    bson_t doc;
    if (!bson_init_static(&doc, reinterpret_cast<const uint8_t*>(bson.data()), bson.size())) {
      return Internal(where + ": the JSON parser produced invalid BSON");
    }
    out->Add(&doc, number);
  }
  return Status::OK();
}

Status ReadText(std::ifstream& in, const std::string& path, DocumentSet* out) {
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    const std::string_view text = TrimTrailingCr(line);
    if (!bson_utf8_validate(text.data(), text.size(), /*allow_null=*/false)) {
      return InvalidArgument(path + ":" + std::to_string(number) + ": not UTF-8 text");
    }
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_INT64(&doc, "_id", number);
    bson_append_utf8(&doc, "text", 4, text.data(), static_cast<int>(text.size()));
    out->Add(&doc, static_cast<uint64_t>(number));
    bson_destroy(&doc);
  }
  return Status::OK();
}

Status ReadBson(const std::string& path, DocumentSet* out) {
  bson_error_t error;
  std::unique_ptr<bson_reader_t, BsonReaderDeleter> reader(bson_reader_new_from_file(path.c_str(), &error));
  if (!reader) return NotFound("cannot read --input " + path + ": " + error.message);
  bool eof = false;
  uint64_t n = 0;
  while (const bson_t* doc = bson_reader_read(reader.get(), &eof)) out->Add(doc, ++n);
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (!eof || (!ec && static_cast<uint64_t>(bson_reader_tell(reader.get())) != size)) {
    return InvalidArgument(path + ": not a BSON file, or damaged after document " + std::to_string(n) + " (byte " +
                           std::to_string(bson_reader_tell(reader.get())) + ")");
  }
  return Status::OK();
}

}  // namespace

void DocumentSet::Add(const bson_t* doc, uint64_t origin) {
  offsets_.push_back(buffer_.size());
  origins_.push_back(origin);
  bson_iter_t it;
  if (bson_iter_init_find(&it, doc, "_id")) {
    buffer_.append(reinterpret_cast<const char*>(bson_get_data(doc)), doc->len);
    return;
  }
  bson_oid_t oid;
  bson_oid_init(&oid, nullptr);
  bson_t with_id = BSON_INITIALIZER;
  BSON_APPEND_OID(&with_id, "_id", &oid);
  bson_concat(&with_id, doc);
  buffer_.append(reinterpret_cast<const char*>(bson_get_data(&with_id)), with_id.len);
  bson_destroy(&with_id);
}

std::string_view DocumentSet::doc(size_t i) const {
  const size_t end = i + 1 < offsets_.size() ? offsets_[i + 1] : buffer_.size();
  return std::string_view(buffer_).substr(offsets_[i], end - offsets_[i]);
}

std::string DocumentSet::Where(size_t i) const {
  return by_line_ ? source_ + ":" + std::to_string(origins_[i])
                  : source_ + ": document " + std::to_string(origins_[i]);
}

std::string InputFormatOf(const std::string& path) {
  if (path.ends_with(".jsonl") || path.ends_with(".json")) return "json";
  if (path.ends_with(".bson")) return "bson";
  return "text";
}

StatusOr<DocumentSet> ReadDocuments(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return InvalidArgument("--input " + path + " is a directory, not a file");
  const std::string format = InputFormatOf(path);
  DocumentSet docs(path, format != "bson");
  if (format == "bson") {
    RETURN_IF_ERROR(ReadBson(path, &docs));
    return docs;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return OpenError(path);
  RETURN_IF_ERROR(format == "json" ? ReadJsonLines(in, path, &docs) : ReadText(in, path, &docs));
  if (in.bad()) return IOError("reading " + path + ": " + std::strerror(errno));
  return docs;
}

}  // namespace aviary::loader
