#include "js/to_bson.h"

#include <bson/bson.h>
#include <js/Array.h>
#include <js/BigInt.h>
#include <js/CallAndConstruct.h>
#include <js/Date.h>
#include <js/Object.h>
#include <js/PropertyAndElement.h>
#include <js/RegExp.h>
#include <js/RegExpFlags.h>
#include <jsfriendapi.h>

#include <array>
#include <cmath>
#include <cstring>

#include "aviary/value.h"
#include "js/bson.h"
#include "js/from_bson.h"
#include "js/natives.h"
#include "js/utf8.h"

namespace aviary::js {
namespace {

constexpr int kMaxDepth = 100;

void AppendRaw(const void* p, size_t n, std::string* out) { out->append(static_cast<const char*>(p), n); }

template <typename T>
void AppendScalar(T v, std::string* out) {
  AppendRaw(&v, sizeof v, out);
}

// A document whose first field holds a well-formed value of `type`, as the engine would get it;
// padding after fixed-size values reads as the end of the document.
bool ProbeEngine(uint8_t type) {
  std::string doc(4, '\0');
  doc.push_back(static_cast<char>(type));
  doc.append("x", 2);
  switch (type) {
    case bson::kRegex: doc.append("a\0i\0", 4); break;
    case bson::kString: case bson::kCode: case bson::kSymbol: AppendBsonString("x", &doc); break;
    case bson::kDocument: case bson::kArray: doc.append("\x05\0\0\0\0", 5); break;
    case bson::kBinary: doc.append(5, '\0'); break;
    default: doc.append(16, '\0'); break;
  }
  doc.push_back('\0');
  const int32_t n = static_cast<int32_t>(doc.size());
  std::memcpy(doc.data(), &n, 4);
  const DocumentView view(doc.data(), doc.size());
  auto it = view.begin();
  return it != view.end() && it->name == "x";
}

bool HexToBytes(std::string_view hex, std::string* out) {
  auto digit = [](char c) { return c >= '0' && c <= '9' ? c - '0' : (c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1); };
  out->clear();
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return out->size() * 2 == hex.size();
}

}  // namespace

bool EngineReadsType(uint8_t type) {
  static const std::array<bool, 256> table = [] {
    std::array<bool, 256> t{};
    for (int i = 0; i < 256; ++i) t[i] = ProbeEngine(static_cast<uint8_t>(i));
    return t;
  }();
  return table[type];
}

void BsonEncoder::Note(uint8_t type) {
  if (unreadable_ == 0 && !EngineReadsType(type)) unreadable_ = type;
}

bool BsonEncoder::EncodeValue(JS::HandleValue v, uint8_t* type, std::string* bytes) {
  bytes->clear();
  unreadable_ = 0;
  field_.clear();
  if (v.isString()) {  // the common key: characters only, no BSON framing
    *type = bson::kString;
    return AppendUtf8(cx_, v.toString(), bytes);
  }
  if (v.isNumber()) {
    *type = bson::kDouble;
    AppendScalar(v.toNumber(), bytes);
    return true;
  }
  if (!Append(v, bytes, type, 0)) return false;
  if (bson::IsStringLike(*type)) bytes->erase(0, 4), bytes->pop_back();
  Note(*type);
  return true;
}

bool BsonEncoder::EncodeDocument(JS::HandleObject obj, std::string* bytes) {
  bytes->clear();
  unreadable_ = 0;
  field_.clear();
  return GetLazyDocument(obj).has_value() ? AppendLazy(obj, bytes, 0) : AppendProperties(obj, bytes, 0);
}

bool BsonEncoder::Append(JS::HandleValue v, std::string* out, uint8_t* type, int depth) {
  if (v.isNumber()) {
    *type = bson::kDouble;
    AppendScalar(v.toNumber(), out);
  } else if (v.isString()) {
    *type = bson::kString;
    const size_t at = out->size();
    out->append(4, '\0');
    if (!AppendUtf8(cx_, v.toString(), out)) return false;
    out->push_back('\0');
    const int32_t n = static_cast<int32_t>(out->size() - at - 4);
    std::memcpy(out->data() + at, &n, 4);
  } else if (v.isBoolean()) {
    *type = bson::kBool;
    out->push_back(v.toBoolean() ? 1 : 0);
  } else if (v.isNullOrUndefined()) {
    *type = bson::kNull;
  } else if (v.isBigInt()) {
    int64_t n;
    if (!JS::BigIntFits(v.toBigInt(), &n)) {
      JS_ReportErrorUTF8(cx_, "BigInt out of the 64-bit range in field '%s'", field_.c_str());
      return false;
    }
    *type = bson::kInt64;
    AppendScalar(n, out);
  } else if (v.isObject()) {
    JS::RootedObject obj(cx_, &v.toObject());
    return AppendObject(obj, out, type, depth);
  } else {
    JS_ReportErrorUTF8(cx_, "cannot store a symbol (field '%s')", field_.c_str());
    return false;
  }
  return true;
}

bool BsonEncoder::AppendObject(JS::HandleObject obj, std::string* out, uint8_t* type, int depth) {
  if (depth >= kMaxDepth) {
    JS_ReportErrorUTF8(cx_, "object nested deeper than %d levels (a cycle?) at field '%s'", kMaxDepth,
                       field_.c_str());
    return false;
  }
  if (GetLazyDocument(obj).has_value()) {
    *type = bson::kDocument;
    return AppendLazy(obj, out, depth + 1);
  }
  if (Kind kind; KindOf(obj, &kind)) return AppendTyped(obj, out, type);
  ::js::ESClass cls;
  if (!JS::GetBuiltinClass(cx_, obj, &cls)) return false;
  switch (cls) {
    case ::js::ESClass::Array:
      *type = bson::kArray;
      return AppendArray(obj, out, depth + 1);
    case ::js::ESClass::Date: {
      double ms;
      if (!::js::DateGetMsecSinceEpoch(cx_, obj, &ms)) return false;
      if (!std::isfinite(ms)) {
        JS_ReportErrorUTF8(cx_, "cannot store an invalid Date (field '%s')", field_.c_str());
        return false;
      }
      *type = bson::kDate;
      AppendScalar(static_cast<int64_t>(ms), out);
      return true;
    }
    case ::js::ESClass::RegExp:
      *type = bson::kRegex;
      return AppendRegExp(obj, out);
    case ::js::ESClass::Number: case ::js::ESClass::String: case ::js::ESClass::Boolean: case ::js::ESClass::BigInt: {
      JS::RootedValue unboxed(cx_);  // new Number(5) and friends: store the primitive
      return JS_CallFunctionName(cx_, obj, "valueOf", JS::HandleValueArray::empty(), &unboxed) &&
             !unboxed.isObject() && Append(unboxed, out, type, depth);
    }
    case ::js::ESClass::Function:
      JS_ReportErrorUTF8(cx_, "cannot store a function (field '%s')", field_.c_str());
      return false;
    default:
      *type = bson::kDocument;
      return AppendProperties(obj, out, depth + 1);
  }
}

bool BsonEncoder::AppendProperties(JS::HandleObject obj, std::string* out, int depth) {
  DocWriter doc(out);
  JS::Rooted<JS::IdVector> ids(cx_, JS::IdVector(cx_));
  if (!JS_Enumerate(cx_, obj, &ids)) return false;
  JS::RootedId id(cx_);
  JS::RootedValue v(cx_);
  std::string name;
  for (size_t i = 0; i < ids.length(); ++i) {
    id = ids[i];
    if (id.isSymbol()) continue;
    if (!KeyName(cx_, id, &name) || !JS_GetPropertyById(cx_, obj, id, &v)) return false;
    field_ = name;
    const size_t at = doc.BeginElement(name);
    uint8_t type;
    if (!Append(v, out, &type, depth)) return false;
    doc.SetType(at, type);
    Note(type);
  }
  doc.Finish();
  return true;
}

bool BsonEncoder::AppendArray(JS::HandleObject obj, std::string* out, int depth) {
  uint32_t length = 0;
  if (!JS::GetArrayLength(cx_, obj, &length)) return false;
  DocWriter doc(out);
  JS::RootedValue v(cx_);
  for (uint32_t i = 0; i < length; ++i) {
    if (!JS_GetElement(cx_, obj, i, &v)) return false;
    const size_t at = doc.BeginElement(std::to_string(i));
    uint8_t type;
    if (!Append(v, out, &type, depth)) return false;
    doc.SetType(at, type);
    Note(type);
  }
  doc.Finish();
  return true;
}

// Untouched fields are copied as they are; fields the script read are written from their
// current value (it may have changed them); deleted ones are left out; added ones follow.
// Reading a property can run a GC, which may move the object and its bytes: both are looked up
// again after every such call.
bool BsonEncoder::AppendLazy(JS::HandleObject obj, std::string* out, int depth) {
  DocWriter doc(out);
  JS::RootedValue v(cx_);
  ElementReader reader = [&] {
    JS::AutoCheckCannotGC nogc;
    const std::string_view bytes = GetLazyDocument(obj)->bytes(nogc);
    return ElementReader(bytes.data(), bytes.size());
  }();
  Element e;
  for (size_t i = 0;; ++i) {
    uint8_t field_type;
    {
      JS::AutoCheckCannotGC nogc;
      const LazyDocument lazy = *GetLazyDocument(obj);
      reader.Rebase(lazy.bytes(nogc).data());
      if (!reader.Next(&e)) break;
      const uint8_t state = lazy.FieldStateAt(i);
      if (state == LazyDocument::kDeleted) continue;
      if (state == LazyDocument::kUntouched) {
        out->append(e.begin, e.element_size);
        Note(e.type);
        continue;
      }
      field_.assign(e.name);
      field_type = e.type;
    }
    if (!JS_GetProperty(cx_, obj, field_.c_str(), &v)) return false;
    const size_t at = doc.BeginElement(field_);
    uint8_t type;
    if (field_type == bson::kInt32 && v.isNumber() && v.toNumber() == static_cast<int32_t>(v.toNumber())) {
      // As MongoDB does: a field that was an int32 stays one while its value fits.
      type = bson::kInt32;
      AppendScalar(static_cast<int32_t>(v.toNumber()), out);
    } else if (!Append(v, out, &type, depth)) {
      return false;
    }
    doc.SetType(at, type);
    Note(type);
  }
  if (GetLazyDocument(obj)->has_extra() && !AppendAddedProperties(obj, out, &doc, depth)) return false;
  doc.Finish();
  return true;
}

// The properties a script added to a lazy document, after its fields.
bool BsonEncoder::AppendAddedProperties(JS::HandleObject obj, std::string* out, DocWriter* doc, int depth) {
  JS::Rooted<JS::IdVector> ids(cx_, JS::IdVector(cx_));
  if (!JS_Enumerate(cx_, obj, &ids)) return false;
  JS::RootedId id(cx_);
  JS::RootedValue v(cx_);
  std::string name;
  for (size_t i = 0; i < ids.length(); ++i) {
    id = ids[i];
    if (id.isSymbol() || !KeyName(cx_, id, &name)) continue;
    bool is_field = false;
    {
      JS::AutoCheckCannotGC nogc;
      const std::string_view bytes = GetLazyDocument(obj)->bytes(nogc);
      ElementReader fields(bytes.data(), bytes.size());
      Element e;
      // A field deleted and then set again is an added property now, as in JavaScript's order.
      for (size_t j = 0; !is_field && fields.Next(&e); ++j) {
        is_field = e.name == name && GetLazyDocument(obj)->FieldStateAt(j) != LazyDocument::kDeleted;
      }
    }
    if (is_field) continue;
    if (!JS_GetPropertyById(cx_, obj, id, &v)) return false;
    field_ = name;
    const size_t at = doc->BeginElement(name);
    uint8_t type;
    if (!Append(v, out, &type, depth)) return false;
    doc->SetType(at, type);
    Note(type);
  }
  return true;
}

bool BsonEncoder::AppendTyped(JS::HandleObject obj, std::string* out, uint8_t* type) {
  Kind kind;
  KindOf(obj, &kind);
  const JS::Value a = TypedSlot(obj, 0), b = TypedSlot(obj, 1);
  std::string text, bytes;
  switch (kind) {
    case Kind::kNumberLong:
      *type = bson::kInt64;
      AppendScalar(a.isBigInt() ? JS::ToBigInt64(a.toBigInt()) : int64_t{0}, out);
      return true;
    case Kind::kNumberInt:
      *type = bson::kInt32;
      AppendScalar(a.isInt32() ? a.toInt32() : int32_t{0}, out);
      return true;
    case Kind::kObjectId:
      *type = bson::kObjectId;
      if (!a.isString() || !AppendUtf8(cx_, a.toString(), &text) || !HexToBytes(text, &bytes) || bytes.size() != 12) {
        JS_ReportErrorUTF8(cx_, "malformed ObjectId in field '%s'", field_.c_str());
        return false;
      }
      out->append(bytes);
      return true;
    case Kind::kBinData:
      *type = bson::kBinary;
      if (!b.isString() || !AppendUtf8(cx_, b.toString(), &text) || !DecodeBase64(text, &bytes)) {
        JS_ReportErrorUTF8(cx_, "malformed BinData in field '%s'", field_.c_str());
        return false;
      }
      AppendScalar(static_cast<int32_t>(bytes.size()), out);
      out->push_back(static_cast<char>(a.isInt32() ? a.toInt32() : 0));
      out->append(bytes);
      return true;
    case Kind::kTimestamp:
      *type = bson::kTimestamp;
      AppendScalar(static_cast<uint32_t>(b.isNumber() ? b.toNumber() : 0), out);  // increment
      AppendScalar(static_cast<uint32_t>(a.isNumber() ? a.toNumber() : 0), out);  // seconds
      return true;
    case Kind::kMinKey: *type = bson::kMinKey; return true;
    case Kind::kMaxKey: *type = bson::kMaxKey; return true;
    case Kind::kDecimal: {
      bson_decimal128_t dec;
      if (!a.isString() || !AppendUtf8(cx_, a.toString(), &text) || !bson_decimal128_from_string(text.c_str(), &dec)) {
        JS_ReportErrorUTF8(cx_, "malformed NumberDecimal in field '%s'", field_.c_str());
        return false;
      }
      *type = bson::kDecimal;
      AppendScalar(dec.low, out);
      AppendScalar(dec.high, out);
      return true;
    }
  }
  return false;
}

bool BsonEncoder::AppendRegExp(JS::HandleObject obj, std::string* out) {
  JS::RootedString source(cx_, JS::GetRegExpSource(cx_, obj));
  if (!source) return false;
  std::string pattern;
  if (!AppendUtf8(cx_, source, &pattern)) return false;
  const JS::RegExpFlags flags = JS::GetRegExpFlags(cx_, obj);
  out->append(pattern.c_str(), pattern.size() + 1);
  // BSON wants the options sorted; g and y mean nothing to a stored regex.
  if (flags.ignoreCase()) out->push_back('i');
  if (flags.multiline()) out->push_back('m');
  if (flags.dotAll()) out->push_back('s');
  if (flags.unicode()) out->push_back('u');
  out->push_back('\0');
  return true;
}

}  // namespace aviary::js
