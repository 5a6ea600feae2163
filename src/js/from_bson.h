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
#include <optional>
#include <string>

namespace aviary::js {

// Immutable BSON bytes shared by the lazy objects that point into them: one allocation holding
// a reference count and the bytes. Single-threaded.
class Bytes {
 public:
  static Bytes* Copy(const char* data, size_t size);
  void Ref() { ++refs_; }
  void Unref();
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  size_t size() const { return size_; }

 private:
  explicit Bytes(size_t size) : size_(size) {}
  int refs_ = 0;
  size_t size_;
};

// The state of a lazy document object, kept in the object's reserved slots (so a document
// costs SpiderMonkey one object and the engine one allocation, its bytes).
class LazyDocument {
 public:
  enum FieldState : uint8_t { kUntouched = 0, kResolved = 1, kDeleted = 2 };
  // Empty unless `obj` is a lazy document object.
  static std::optional<LazyDocument> Of(JSObject* obj);

  const char* data() const;
  size_t size() const;
  Bytes* owner() const;
  uint8_t FieldStateAt(size_t i) const;
  // The script added properties that are not fields.
  bool has_extra() const;
  size_t CountResolved() const;

 private:
  explicit LazyDocument(JSObject* obj) : obj_(obj) {}
  JSObject* obj_;  // not owned; the caller keeps it rooted
};

inline std::optional<LazyDocument> GetLazyDocument(JSObject* obj) { return LazyDocument::Of(obj); }

// A lazy object for the document at [data, data+size) inside `owner`.
JSObject* NewLazyDocument(JSContext* cx, Bytes* owner, const char* data, size_t size);

// Converts one value (`type` and payload as in bson.h). Documents and arrays must lie inside
// `owner`. false with a pending exception on failure.
bool BsonToJs(JSContext* cx, uint8_t type, const char* payload, size_t size, Bytes* owner, JS::MutableHandleValue out);

// Converts a top-level value as the engine hands it over (a key, a reduce value; code and symbol
// views with their BSON length prefix): documents are copied once into a new owner.
bool ValueToJs(JSContext* cx, uint8_t type, const char* payload, size_t size, JS::MutableHandleValue out);

}  // namespace aviary::js

#endif  // AVIARY_JS_FROM_BSON_H_
