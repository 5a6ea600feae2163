#include "js/from_bson.h"

#include <bson/bson.h>
#include <js/Array.h>
#include <js/BigInt.h>
#include <js/Date.h>
#include <js/Object.h>
#include <js/PropertyAndElement.h>
#include <js/RegExp.h>
#include <js/RegExpFlags.h>

#include <cstring>

#include "js/bson.h"
#include "js/natives.h"
#include "js/runtime.h"
#include "js/strings.h"

namespace aviary::js {
namespace {

void LazyFinalize(JS::GCContext*, JSObject* obj);
bool LazyResolve(JSContext* cx, JS::HandleObject obj, JS::HandleId id, bool* resolved);
bool LazyEnumerate(JSContext* cx, JS::HandleObject obj, JS::MutableHandleIdVector properties, bool enumerable_only);
bool LazyAddProperty(JSContext* cx, JS::HandleObject obj, JS::HandleId id, JS::HandleValue v);
bool LazyDelProperty(JSContext* cx, JS::HandleObject obj, JS::HandleId id, JS::ObjectOpResult& result);

const JSClassOps kLazyOps = {
    LazyAddProperty, LazyDelProperty, nullptr, LazyEnumerate, LazyResolve, nullptr, LazyFinalize, nullptr, nullptr,
    nullptr,
};
// Named "Object" so that Object.prototype.toString and error messages read as for {...}.
const JSClass kLazyClass = {"Object", JSCLASS_HAS_RESERVED_SLOTS(1) | JSCLASS_FOREGROUND_FINALIZE, &kLazyOps,
                              nullptr, nullptr, nullptr};

LazyDocument* Lazy(JSObject* obj) { return JS::GetMaybePtrFromReservedSlot<LazyDocument>(obj, 0); }

void LazyFinalize(JS::GCContext*, JSObject* obj) {
  LazyDocument* doc = Lazy(obj);
  if (doc == nullptr) return;
  doc->owner->Unref();
  delete doc;
}

// The index and element of the field named `name`, if the document has one.
bool FindField(const LazyDocument& doc, std::string_view name, size_t* index, Element* e) {
  ElementReader reader(doc.data, doc.size);
  for (size_t i = 0; reader.Next(e); ++i) {
    if (e->name == name) {
      *index = i;
      return true;
    }
  }
  return false;
}

void MarkField(LazyDocument* doc, size_t index, uint8_t state) {
  if (doc->state.size() <= index) doc->state.resize(index + 1, LazyDocument::kUntouched);
  doc->state[index] = state;
}

bool LazyResolve(JSContext* cx, JS::HandleObject obj, JS::HandleId id, bool* resolved) {
  *resolved = false;
  LazyDocument* doc = Lazy(obj);
  if (doc == nullptr || id.isSymbol()) return true;
  std::string name;
  if (!KeyName(cx, id, &name)) return false;
  size_t index;
  Element e;
  if (!FindField(*doc, name, &index, &e) || doc->FieldStateAt(index) == LazyDocument::kDeleted) return true;
  JS::RootedValue value(cx);
  if (!BsonToJs(cx, e.type, e.payload, e.size, doc->owner, &value)) return false;
  doc->resolving = true;
  const bool ok = JS_DefinePropertyById(cx, obj, id, value, JSPROP_ENUMERATE);
  doc->resolving = false;
  if (!ok) return false;
  MarkField(doc, index, LazyDocument::kResolved);
  *resolved = true;
  return true;
}

// Field names in document order; SpiderMonkey then adds the properties the script defined.
bool LazyEnumerate(JSContext* cx, JS::HandleObject obj, JS::MutableHandleIdVector properties, bool) {
  LazyDocument* doc = Lazy(obj);
  if (doc == nullptr) return true;
  ElementReader reader(doc->data, doc->size);
  Element e;
  JS::RootedId id(cx);
  for (size_t i = 0; reader.Next(&e); ++i) {
    if (doc->FieldStateAt(i) == LazyDocument::kDeleted) continue;
    JS::RootedString s(cx, NewUtf8String(cx, e.name));
    if (!s || !JS_StringToId(cx, s, &id) || !properties.append(id)) return false;
  }
  return true;
}

bool LazyAddProperty(JSContext*, JS::HandleObject obj, JS::HandleId, JS::HandleValue) {
  LazyDocument* doc = Lazy(obj);
  if (doc != nullptr && !doc->resolving) doc->has_extra = true;
  return true;
}

bool LazyDelProperty(JSContext* cx, JS::HandleObject obj, JS::HandleId id, JS::ObjectOpResult& result) {
  LazyDocument* doc = Lazy(obj);
  if (doc != nullptr && !id.isSymbol()) {
    std::string name;
    if (!KeyName(cx, id, &name)) return false;
    size_t index;
    Element e;
    if (FindField(*doc, name, &index, &e)) MarkField(doc, index, LazyDocument::kDeleted);
  }
  return result.succeed();
}

bool ArrayToJs(JSContext* cx, const char* data, size_t size, Bytes* owner, JS::MutableHandleValue out) {
  JS::RootedValueVector values(cx);
  ElementReader reader(data, size);
  Element e;
  JS::RootedValue v(cx);
  while (reader.Next(&e)) {
    if (!BsonToJs(cx, e.type, e.payload, e.size, owner, &v) || !values.append(v)) return false;
  }
  JSObject* array = JS::NewArrayObject(cx, values);
  if (!array) return false;
  out.setObject(*array);
  return true;
}

bool RegexToJs(JSContext* cx, const char* payload, JS::MutableHandleValue out) {
  const size_t pattern_len = std::strlen(payload);
  const char* options = payload + pattern_len + 1;
  uint8_t flags = JS::RegExpFlag::NoFlags;
  for (const char* o = options; *o; ++o) {
    if (*o == 'i') flags |= JS::RegExpFlag::IgnoreCase;
    if (*o == 'm') flags |= JS::RegExpFlag::Multiline;
    if (*o == 's') flags |= JS::RegExpFlag::DotAll;
    if (*o == 'u') flags |= JS::RegExpFlag::Unicode;
  }
  JSObject* re = JS::NewRegExpObject(cx, payload, pattern_len, JS::RegExpFlags(flags));
  if (!re) return false;
  out.setObject(*re);
  return true;
}

bool TypedToJs(JSContext* cx, Kind kind, JS::HandleValue a, JS::HandleValue b, JS::MutableHandleValue out) {
  JSObject* obj = NewTyped(cx, kind, a, b);
  if (!obj) return false;
  out.setObject(*obj);
  return true;
}

bool StringValue(JSContext* cx, std::string_view s, JS::MutableHandleValue out) {
  JSString* str = NewUtf8String(cx, s);
  if (!str) return false;
  out.setString(str);
  return true;
}

bool CodeToJs(JSContext* cx, std::string_view source, JS::MutableHandleValue out) {
  Runtime* rt = RuntimeOf(cx);
  std::string error;
  if (rt == nullptr || !rt->CompileFunction("scope", source, out, &error)) {
    JS_ReportErrorUTF8(cx, "%s", error.c_str());
    return false;
  }
  return true;
}

bool BinaryToJs(JSContext* cx, const char* payload, size_t size, JS::MutableHandleValue out) {
  const int32_t n = bson::LoadInt32(payload);
  JS::RootedValue subtype(cx, JS::Int32Value(static_cast<uint8_t>(payload[4])));
  JS::RootedValue base64(cx);
  if (!StringValue(cx, EncodeBase64(payload + 5, static_cast<size_t>(n)), &base64)) return false;
  return TypedToJs(cx, Kind::kBinData, subtype, base64, out);
}

bool ScalarToJs(JSContext* cx, uint8_t type, const char* p, size_t size, JS::MutableHandleValue out) {
  JS::RootedValue a(cx), b(cx);
  switch (type) {
    case bson::kObjectId:
      return StringValue(cx, Hex(p, 12), &a) && TypedToJs(cx, Kind::kObjectId, a, b, out);
    case bson::kDate: {
      JSObject* date = JS::NewDateObject(cx, JS::TimeClip(static_cast<double>(bson::LoadInt64(p))));
      if (!date) return false;
      out.setObject(*date);
      return true;
    }
    case bson::kTimestamp: {  // increment in the low word, seconds in the high word
      a.setNumber(static_cast<uint32_t>(bson::LoadInt32(p + 4)));
      b.setNumber(static_cast<uint32_t>(bson::LoadInt32(p)));
      return TypedToJs(cx, Kind::kTimestamp, a, b, out);
    }
    case bson::kInt64: {
      JS::BigInt* big = JS::NumberToBigInt(cx, bson::LoadInt64(p));
      if (!big) return false;
      a.setBigInt(big);
      return TypedToJs(cx, Kind::kNumberLong, a, b, out);
    }
    case bson::kDecimal: {
      bson_decimal128_t dec;
      std::memcpy(&dec.low, p, 8);
      std::memcpy(&dec.high, p + 8, 8);
      char text[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string(&dec, text);
      return StringValue(cx, text, &a) && TypedToJs(cx, Kind::kDecimal, a, b, out);
    }
    case bson::kMinKey: return TypedToJs(cx, Kind::kMinKey, a, b, out);
    case bson::kMaxKey: return TypedToJs(cx, Kind::kMaxKey, a, b, out);
  }
  JS_ReportErrorASCII(cx, "cannot convert BSON type 0x%02x to JavaScript", type);
  return false;
}

}  // namespace

LazyDocument* GetLazyDocument(JSObject* obj) { return JS::GetClass(obj) == &kLazyClass ? Lazy(obj) : nullptr; }

JSObject* NewLazyDocument(JSContext* cx, Bytes* owner, const char* data, size_t size) {
  JSObject* obj = JS_NewObject(cx, &kLazyClass);
  if (!obj) return nullptr;
  owner->Ref();
  auto* doc = new LazyDocument{owner, data, static_cast<uint32_t>(size), {}, false, false};
  JS::SetReservedSlot(obj, 0, JS::PrivateValue(doc));
  return obj;
}

bool BsonToJs(JSContext* cx, uint8_t type, const char* p, size_t size, Bytes* owner, JS::MutableHandleValue out) {
  switch (type) {
    case bson::kDouble: out.setDouble(JS::CanonicalizeNaN(bson::LoadDouble(p))); return true;
    case bson::kInt32: out.setInt32(bson::LoadInt32(p)); return true;
    case bson::kBool: out.setBoolean(*p != 0); return true;
    case bson::kNull: out.setNull(); return true;
    case bson::kUndefined: out.setUndefined(); return true;
    case bson::kString: case bson::kSymbol: return StringValue(cx, std::string_view(p, size), out);
    case bson::kCode: return CodeToJs(cx, std::string_view(p, size), out);
    case bson::kDocument: {
      JSObject* obj = NewLazyDocument(cx, owner, p, size);
      if (!obj) return false;
      out.setObject(*obj);
      return true;
    }
    case bson::kArray: return ArrayToJs(cx, p, size, owner, out);
    case bson::kBinary: return BinaryToJs(cx, p, size, out);
    case bson::kRegex: return RegexToJs(cx, p, out);
  }
  return ScalarToJs(cx, type, p, size, out);
}

bool ValueToJs(JSContext* cx, uint8_t type, const char* payload, size_t size, JS::MutableHandleValue out) {
  if (type != bson::kDocument && type != bson::kArray) return BsonToJs(cx, type, payload, size, nullptr, out);
  Bytes* owner = Bytes::Copy(payload, size);
  owner->Ref();  // held across the conversion, which takes references of its own
  const bool ok = BsonToJs(cx, type, owner->data(), owner->size(), owner, out);
  owner->Unref();
  return ok;
}

}  // namespace aviary::js
