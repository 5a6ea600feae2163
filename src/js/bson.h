// The BSON the JavaScript job reads and writes: every type MongoDB's mapReduce can hand to a
// function (including those aviary::Type does not list, such as regex, undefined, MinKey and
// code), walked and appended without libbson so that conversion stays allocation-free.
//
// A payload is a value's bytes as BSON stores them after the field name, except that for the
// string-like types (string, code, symbol) it is the characters only, as in aviary::ValueView.
#ifndef AVIARY_JS_BSON_H_
#define AVIARY_JS_BSON_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace aviary::js {

namespace bson {
inline constexpr uint8_t kDouble = 0x01, kString = 0x02, kDocument = 0x03, kArray = 0x04, kBinary = 0x05,
                         kUndefined = 0x06, kObjectId = 0x07, kBool = 0x08, kDate = 0x09, kNull = 0x0A,
                         kRegex = 0x0B, kCode = 0x0D, kSymbol = 0x0E, kInt32 = 0x10, kTimestamp = 0x11,
                         kInt64 = 0x12, kDecimal = 0x13, kMaxKey = 0x7F, kMinKey = 0xFF;

inline bool IsStringLike(uint8_t type) { return type == kString || type == kCode || type == kSymbol; }

inline int32_t LoadInt32(const char* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline int64_t LoadInt64(const char* p) {
  int64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline double LoadDouble(const char* p) {
  double v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
}  // namespace bson

// One element of a document or array.
struct Element {
  uint8_t type = 0;
  std::string_view name;
  const char* payload = nullptr;  // see the file comment
  size_t size = 0;
  const char* begin = nullptr;  // the whole element (type byte, name, value) for raw copies
  size_t element_size = 0;
};

// Iterates the elements of a BSON document. Stops (ok() turns false) at malformed bytes or an
// unknown type.
class ElementReader {
 public:
  // REQUIRES: `doc` points at `size` bytes that outlive the reader.
  ElementReader(const char* doc, size_t size)
      : doc_(doc), pos_(size >= 5 ? doc + 4 : nullptr), end_(size >= 5 ? doc + size - 1 : nullptr) {}
  // Reads the next element into `*e`; false at the end or on malformed bytes.
  bool Next(Element* e);
  bool ok() const { return ok_; }
  // The same bytes now live at `doc` (the GC moved them): go on from the same position there.
  // Elements read before point into the old place.
  void Rebase(const char* doc) {
    if (pos_ != nullptr) {
      pos_ = doc + (pos_ - doc_);
      end_ = doc + (end_ - doc_);
    }
    doc_ = doc;
  }

 private:
  const char* doc_;
  const char* pos_;
  const char* end_;
  bool ok_ = true;
};

// Appends BSON elements to a document being built in `*out`.
class DocWriter {
 public:
  // Starts a document at the end of `*out` (which must outlive the writer).
  explicit DocWriter(std::string* out) : out_(out), start_(out->size()) { out_->append(4, '\0'); }
  // Appends the type byte and the NUL-terminated name; the caller appends the payload. Returns
  // the offset of the type byte so it can be patched once the type is known.
  size_t BeginElement(std::string_view name) {
    const size_t at = out_->size();
    out_->push_back('\0');
    out_->append(name.data(), name.size());
    out_->push_back('\0');
    return at;
  }
  void SetType(size_t at, uint8_t type) { (*out_)[at] = static_cast<char>(type); }
  // Removes an element begun at `at` (the value turned out to be skipped).
  void Abandon(size_t at) { out_->resize(at); }
  void Finish() {
    out_->push_back('\0');
    const int32_t n = static_cast<int32_t>(out_->size() - start_);
    std::memcpy(out_->data() + start_, &n, 4);
  }

 private:
  std::string* out_;
  size_t start_;
};

// Appends a string-like payload in BSON form (int32 length, characters, NUL).
inline void AppendBsonString(std::string_view s, std::string* out) {
  const int32_t n = static_cast<int32_t>(s.size() + 1);
  out->append(reinterpret_cast<const char*>(&n), 4);
  out->append(s.data(), s.size());
  out->push_back('\0');
}

// Lower-case hex of `n` bytes.
std::string Hex(const char* data, size_t n);
// Base64 (standard alphabet, padded) of `n` bytes, and back; DecodeBase64 returns false on bad input.
std::string EncodeBase64(const char* data, size_t n);
bool DecodeBase64(std::string_view text, std::string* out);

}  // namespace aviary::js

#endif  // AVIARY_JS_BSON_H_
