// Writing aviary::ValueViews as BSON elements, for every BSON type (including those outside
// aviary::Type, as BsonElement::view() yields them).
//
// Thread safety: pure functions.
#ifndef AVIARY_STORAGE_MONGO_BSON_CONVERT_H_
#define AVIARY_STORAGE_MONGO_BSON_CONVERT_H_

#include <mongoc/mongoc.h>

#include <cstring>
#include <string>
#include <string_view>

#include "aviary/value.h"

namespace aviary::mongo {

// Appends the element {name: v} in BSON's wire form (type byte, name, NUL, payload) to `buf`,
// which holds a document under construction. kString views get their length prefix and NUL.
inline void AppendRawElement(std::string* buf, std::string_view name, ValueView v) {
  buf->push_back(static_cast<char>(v.type()));
  buf->append(name.data(), name.size());
  buf->push_back('\0');
  if (v.type() == Type::kString) {
    const int32_t n = static_cast<int32_t>(v.size() + 1);
    buf->append(reinterpret_cast<const char*>(&n), 4);
    buf->append(v.data(), v.size());
    buf->push_back('\0');
  } else if (v.size() > 0) {
    buf->append(v.data(), v.size());
  }
}

// Starts a document in `buf` (reserves the length); FinishDocument() closes it.
inline void StartDocument(std::string* buf) { buf->assign(4, '\0'); }
inline void FinishDocument(std::string* buf) {
  buf->push_back('\0');
  const int32_t n = static_cast<int32_t>(buf->size());
  std::memcpy(buf->data(), &n, 4);
}

// Appends {name: v} to a libbson document; false when `v` is malformed.
bool AppendToBson(bson_t* doc, const char* name, ValueView v);

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_BSON_CONVERT_H_
