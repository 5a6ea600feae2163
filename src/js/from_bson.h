// BSON -> JavaScript, as MongoDB converts: int32 and double become numbers, int64 a NumberLong,
// dates Dates, ObjectIds, binary, regex, timestamps and keys their shell types, null and
// undefined themselves. Documents become lazy objects: a field is converted the first time the
// function reads it, so a map that reads two fields of a large document converts two fields.
// Arrays are converted when their parent field is read (their documents lazily again).
//
// A lazy object points into a reference-counted copy of the bytes (Bytes), so it stays valid
// however long the script keeps it. Writing, adding and deleting fields work as on any object;
// to_bson.h writes the untouched fields back byte for byte.
#ifndef AVIARY_JS_FROM_BSON_H_
#define AVIARY_JS_FROM_BSON_H_

#include <jsapi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace aviary::js {

// Immutable BSON bytes shared by the lazy objects that point into them. Single-threaded.
class Bytes {
 public:
  static Bytes* Copy(const char* data, size_t size) { return new Bytes(std::string(data, size)); }
  static Bytes* Adopt(std::string bytes) { return new Bytes(std::move(bytes)); }
  void Ref() { ++refs_; }
  void Unref() {
    if (--refs_ == 0) delete this;
  }
  const char* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }

 private:
  explicit Bytes(std::string bytes) : bytes_(std::move(bytes)) {}
  int refs_ = 0;
  std::string bytes_;
};

// The state behind one lazy document object.
struct LazyDocument {
  enum FieldState : uint8_t { kUntouched = 0, kResolved = 1, kDeleted = 2 };
  Bytes* owner;      // holds a reference
  const char* data;  // the document, inside owner
  uint32_t size;
  std::vector<uint8_t> state;  // FieldState per field index; empty until a field is touched
  bool resolving = false;      // inside our own resolve hook
  bool has_extra = false;      // the script added properties that are not fields
  uint8_t FieldStateAt(size_t i) const { return i < state.size() ? state[i] : uint8_t{kUntouched}; }
};

// The lazy state of `obj`, or nullptr if it is not a lazy document.
LazyDocument* GetLazyDocument(JSObject* obj);

// A lazy object for the document at [data, data+size) inside `owner`.
JSObject* NewLazyDocument(JSContext* cx, Bytes* owner, const char* data, size_t size);

// Converts one value (`type` and payload as in bson.h). Documents and arrays must lie inside
// `owner`. false with a pending exception on failure.
bool BsonToJs(JSContext* cx, uint8_t type, const char* payload, size_t size, Bytes* owner, JS::MutableHandleValue out);

// Converts a top-level value that is not inside any Bytes (a key, a reduce value): documents
// are copied once into a new owner.
bool ValueToJs(JSContext* cx, uint8_t type, const char* payload, size_t size, JS::MutableHandleValue out);

}  // namespace aviary::js

#endif  // AVIARY_JS_FROM_BSON_H_
