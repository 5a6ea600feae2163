// BSON -> JavaScript, as MongoDB converts: int32 and double become numbers, int64 a NumberLong,
// dates Dates, ObjectIds, binary, regex, timestamps and keys their shell types, null and
// undefined themselves. Documents become lazy objects: a field is converted the first time the
// function reads it, so a map that reads two fields of a large document converts two fields.
// Arrays are converted when their parent field is read (their documents lazily again).
//
// A lazy object keeps its bytes in a JavaScript string of Latin-1 characters, one a byte, that
// the GC owns. So the object needs no finalizer: SpiderMonkey allocates it and its bytes in the
// nursery, and a minor GC frees every document the map is done with (a finalizer would make
// each document tenured, living until a full GC). The GC may move the bytes: they are read
// only while no GC can run. Writing, adding and deleting fields work as on any object;
// to_bson.h writes the untouched fields back byte for byte.
#ifndef AVIARY_JS_FROM_BSON_H_
#define AVIARY_JS_FROM_BSON_H_

#include <jsapi.h>

#include <cstdint>
#include <optional>
#include <string>

namespace aviary::js {

// A GC-owned copy of `size` bytes, for NewLazyDocument() and BsonToJs().
JSString* NewByteString(JSContext* cx, const char* data, size_t size);

// The state of a lazy document object, kept in the object's reserved slots (so a document
// costs SpiderMonkey one object and one string, its bytes). A view: the GC may move the
// object, so get a new one after anything that can run a GC.
class LazyDocument {
 public:
  enum FieldState : uint8_t { kUntouched = 0, kResolved = 1, kDeleted = 2 };
  // Empty unless `obj` is a lazy document object.
  static std::optional<LazyDocument> Of(JSObject* obj);

  // The document's BSON bytes, valid while `nogc` lives.
  std::string_view bytes(const JS::AutoRequireNoGC& nogc) const;
  uint8_t FieldStateAt(size_t i) const;
  // The script added properties that are not fields.
  bool has_extra() const;
  size_t CountResolved() const;

 private:
  explicit LazyDocument(JSObject* obj) : obj_(obj) {}
  JSObject* obj_;  // not owned; the caller keeps it rooted
};

inline std::optional<LazyDocument> GetLazyDocument(JSObject* obj) { return LazyDocument::Of(obj); }

// A lazy object for the document at [offset, offset + size) of `owner`'s bytes.
JSObject* NewLazyDocument(JSContext* cx, JS::HandleString owner, size_t offset, size_t size);

// Converts the value of `type` whose payload (as in bson.h) is [offset, offset + size) of
// `owner`'s bytes. false with a pending exception on failure.
bool BsonToJs(JSContext* cx, uint8_t type, JS::HandleString owner, size_t offset, size_t size,
              JS::MutableHandleValue out);

// Converts a top-level value as the engine hands it over (a key, a reduce value; code and symbol
// views with their BSON length prefix): documents are copied once into a new byte string.
bool ValueToJs(JSContext* cx, uint8_t type, const char* payload, size_t size, JS::MutableHandleValue out);

}  // namespace aviary::js

#endif  // AVIARY_JS_FROM_BSON_H_
