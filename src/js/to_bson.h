// JavaScript -> BSON, as MongoDB converts: a number is stored as a double (whole numbers too),
// NumberInt as int32, NumberLong as int64, strings as UTF-8, Dates, RegExps and the shell types
// as their BSON types, arrays and objects recursively (own enumerable properties in order).
// undefined is stored as null. A lazy document writes its untouched fields back byte for byte.
//
// Failures (a function, a symbol, a cycle or nesting deeper than 100) raise a JS TypeError
// naming the field, so user code sees them like any other exception.
#ifndef AVIARY_JS_TO_BSON_H_
#define AVIARY_JS_TO_BSON_H_

#include <jsapi.h>

#include <cstdint>
#include <string>

#include "js/bson.h"

namespace aviary::js {

class BsonEncoder {
 public:
  explicit BsonEncoder(JSContext* cx) : cx_(cx) {}

  // Encodes a top-level value (an emitted key or value, a reduce result) into *bytes with its
  // BSON type in *type; for strings *bytes holds the characters only (aviary::ValueView's form).
  bool EncodeValue(JS::HandleValue v, uint8_t* type, std::string* bytes);
  // Encodes an object as a BSON document (arrays too, with "0", "1", ... names).
  bool EncodeDocument(JS::HandleObject obj, std::string* bytes);

  // True when the last encoding holds a BSON type that aviary::DocumentView cannot read
  // (regex, undefined, MinKey, MaxKey, Decimal128, ... depending on include/aviary/value.h).
  uint8_t unreadable_type() const { return unreadable_; }

 private:
  bool Append(JS::HandleValue v, std::string* out, uint8_t* type, int depth);
  bool AppendObject(JS::HandleObject obj, std::string* out, uint8_t* type, int depth);
  bool AppendProperties(JS::HandleObject obj, std::string* out, int depth);
  bool AppendArray(JS::HandleObject obj, std::string* out, int depth);
  bool AppendLazy(JS::HandleObject obj, std::string* out, int depth);
  bool AppendAddedProperties(JS::HandleObject obj, std::string* out, DocWriter* doc, int depth);
  bool AppendTyped(JS::HandleObject obj, std::string* out, uint8_t* type);
  bool AppendRegExp(JS::HandleObject obj, std::string* out);
  void Note(uint8_t type);

  JSContext* cx_;
  std::string field_;  // the field being written, for messages
  uint8_t unreadable_ = 0;
};

// Whether aviary::DocumentView (this build's include/aviary/value.h) can read BSON `type`.
bool EngineReadsType(uint8_t type);

}  // namespace aviary::js

#endif  // AVIARY_JS_TO_BSON_H_
