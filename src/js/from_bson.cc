#include "js/from_bson.h"

#include <bson/bson.h>
#include <js/Array.h>
#include <js/BigInt.h>
#include <js/Date.h>
#include <js/Object.h>
#include <js/PropertyAndElement.h>
#include <js/RegExp.h>
#include <js/RegExpFlags.h>
#include <js/String.h>
#include <js/experimental/TypedData.h>

#include <cstring>

#include "js/bson.h"
#include "js/natives.h"
#include "js/runtime.h"
#include "js/utf8.h"

namespace aviary::js {
namespace {

bool LazyResolve(JSContext* cx, JS::HandleObject obj, JS::HandleId id, bool* resolved);
bool LazyEnumerate(JSContext* cx, JS::HandleObject obj, JS::MutableHandleIdVector properties, bool enumerable_only);
bool LazyAddProperty(JSContext* cx, JS::HandleObject obj, JS::HandleId id, JS::HandleValue v);
bool LazyDelProperty(JSContext* cx, JS::HandleObject obj, JS::HandleId id, JS::ObjectOpResult& result);

// No finalizer: see the header.
const JSClassOps kLazyOps = {
    LazyAddProperty, LazyDelProperty, nullptr, LazyEnumerate, LazyResolve, nullptr, nullptr, nullptr, nullptr,
    nullptr,
};

// Reserved slots of a lazy document object.
enum Slot {
  kOwner,     // the byte string holding the document
  kOffset,    // Int32: the document's offset in it
  kSize,      // Int32: its size
  kResolved,  // Int32: bit i set when field i (i < 32) was converted
  kDeleted,   // Int32: bit i set when field i (i < 32) was deleted
  kFlags,     // Int32: kResolving | kHasExtra
  kOverflow,  // a Uint8Array with the states of fields 32 and up, or undefined
  kSlots
};
enum Flag { kResolving = 1, kHasExtra = 2 };

// Named "Object" so that Object.prototype.toString and error messages read as for {...}.
const JSClass kLazyClass = {"Object", JSCLASS_HAS_RESERVED_SLOTS(kSlots), &kLazyOps, nullptr, nullptr, nullptr};

int32_t IntSlot(JSObject* obj, Slot s) { return JS::GetReservedSlot(obj, s).toInt32(); }
void SetIntSlot(JSObject* obj, Slot s, int32_t v) { JS::SetReservedSlot(obj, s, JS::Int32Value(v)); }
JSString* OwnerOf(JSObject* obj) { return JS::GetReservedSlot(obj, kOwner).toString(); }
size_t OffsetOf(JSObject* obj) { return static_cast<size_t>(IntSlot(obj, kOffset)); }
size_t SizeOf(JSObject* obj) { return static_cast<size_t>(IntSlot(obj, kSize)); }

const char* CharsOf(JSString* owner, const JS::AutoRequireNoGC& nogc) {
  return reinterpret_cast<const char*>(JS::GetLatin1LinearStringChars(nogc, JS_ASSERT_STRING_IS_LINEAR(owner)));
}
// The document's bytes; valid while `nogc` lives.
const char* DataOf(JSObject* obj, const JS::AutoRequireNoGC& nogc) {
  return CharsOf(OwnerOf(obj), nogc) + OffsetOf(obj);
}

// The states of fields 32 and up, or null when none was marked.
uint8_t* OverflowOf(JSObject* obj, size_t* length, const JS::AutoRequireNoGC& nogc) {
  const JS::Value v = JS::GetReservedSlot(obj, kOverflow);
  if (!v.isObject()) return nullptr;
  bool shared;
  *length = JS_GetTypedArrayLength(&v.toObject());
  return static_cast<uint8_t*>(JS_GetArrayBufferViewData(&v.toObject(), &shared, nogc));
}

uint8_t StateOf(JSObject* obj, size_t i) {
  if (i < 32) {
    const uint32_t bit = 1u << i;
    if (static_cast<uint32_t>(IntSlot(obj, kDeleted)) & bit) return LazyDocument::kDeleted;
    return (static_cast<uint32_t>(IntSlot(obj, kResolved)) & bit) ? LazyDocument::kResolved : LazyDocument::kUntouched;
  }
  JS::AutoCheckCannotGC nogc;
  size_t n = 0;
  const uint8_t* overflow = OverflowOf(obj, &n, nogc);
  return overflow && i - 32 < n ? overflow[i - 32] : uint8_t{LazyDocument::kUntouched};
}

size_t CountFields(JSObject* obj) {
  JS::AutoCheckCannotGC nogc;
  ElementReader reader(DataOf(obj, nogc), SizeOf(obj));
  Element e;
  size_t n = 0;
  while (reader.Next(&e)) ++n;
  return n;
}

bool MarkField(JSContext* cx, JS::HandleObject obj, size_t i, uint8_t state) {
  if (i < 32) {
    const Slot s = state == LazyDocument::kDeleted ? kDeleted : kResolved;
    SetIntSlot(obj, s, static_cast<int32_t>(static_cast<uint32_t>(IntSlot(obj, s)) | (1u << i)));
    return true;
  }
  if (!JS::GetReservedSlot(obj, kOverflow).isObject()) {  // first mark past 32: one state a field
    JSObject* states = JS_NewUint8Array(cx, CountFields(obj) - 32);
    if (!states) return false;
    JS::SetReservedSlot(obj, kOverflow, JS::ObjectValue(*states));
  }
  JS::AutoCheckCannotGC nogc;
  size_t n = 0;
  uint8_t* overflow = OverflowOf(obj, &n, nogc);
  if (i - 32 < n) overflow[i - 32] = state;
  return true;
}

bool HasFlag(JSObject* obj, Flag f) { return (IntSlot(obj, kFlags) & f) != 0; }
void SetFlag(JSObject* obj, Flag f, bool on) {
  const int32_t flags = IntSlot(obj, kFlags);
  SetIntSlot(obj, kFlags, on ? flags | f : flags & ~f);
}

// The index of the field named `name` and where its payload lies in the owner's bytes.
struct FieldAt {
  size_t index;
  uint8_t type;
  size_t offset;  // of the payload, in the owner's bytes
  size_t size;
};

bool FindField(JSObject* obj, std::string_view name, FieldAt* at) {
  JS::AutoCheckCannotGC nogc;
  const char* chars = CharsOf(OwnerOf(obj), nogc);
  ElementReader reader(chars + OffsetOf(obj), SizeOf(obj));
  Element e;
  for (size_t i = 0; reader.Next(&e); ++i) {
    if (e.name == name) {
      *at = {i, e.type, static_cast<size_t>(e.payload - chars), e.size};
      return true;
    }
  }
  return false;
}

bool LazyResolve(JSContext* cx, JS::HandleObject obj, JS::HandleId id, bool* resolved) {
  *resolved = false;
  if (id.isSymbol()) return true;
  std::string name;
  if (!KeyName(cx, id, &name)) return false;
  FieldAt field;
  if (!FindField(obj, name, &field) || StateOf(obj, field.index) == LazyDocument::kDeleted) return true;
  JS::RootedString owner(cx, OwnerOf(obj));
  JS::RootedValue value(cx);
  if (!BsonToJs(cx, field.type, owner, field.offset, field.size, &value)) return false;
  SetFlag(obj, kResolving, true);
  const bool ok = JS_DefinePropertyById(cx, obj, id, value, JSPROP_ENUMERATE);
  SetFlag(obj, kResolving, false);
  if (!ok || !MarkField(cx, obj, field.index, LazyDocument::kResolved)) return false;
  *resolved = true;
  return true;
}

// Field names in document order; SpiderMonkey then adds the properties the script defined.
bool LazyEnumerate(JSContext* cx, JS::HandleObject obj, JS::MutableHandleIdVector properties, bool) {
  ElementReader reader = [&] {
    JS::AutoCheckCannotGC nogc;
    return ElementReader(DataOf(obj, nogc), SizeOf(obj));
  }();
  Element e;
  std::string name;
  JS::RootedId id(cx);
  for (size_t i = 0;; ++i) {
    {  // the name is copied out before anything can move the bytes
      JS::AutoCheckCannotGC nogc;
      reader.Rebase(DataOf(obj, nogc));
      if (!reader.Next(&e)) return true;
      if (StateOf(obj, i) == LazyDocument::kDeleted) continue;
      name.assign(e.name);
    }
    JS::RootedString s(cx, NewUtf8String(cx, name));
    if (!s || !JS_StringToId(cx, s, &id) || !properties.append(id)) return false;
  }
}

bool LazyAddProperty(JSContext*, JS::HandleObject obj, JS::HandleId, JS::HandleValue) {
  if (!HasFlag(obj, kResolving)) SetFlag(obj, kHasExtra, true);
  return true;
}

bool LazyDelProperty(JSContext* cx, JS::HandleObject obj, JS::HandleId id, JS::ObjectOpResult& result) {
  if (!id.isSymbol()) {
    std::string name;
    if (!KeyName(cx, id, &name)) return false;
    FieldAt field;
    if (FindField(obj, name, &field) && !MarkField(cx, obj, field.index, LazyDocument::kDeleted)) return false;
  }
  return result.succeed();
}

bool ArrayToJs(JSContext* cx, JS::HandleString owner, size_t offset, size_t size, JS::MutableHandleValue out) {
  JS::RootedValueVector values(cx);
  JS::RootedValue v(cx);
  ElementReader reader = [&] {
    JS::AutoCheckCannotGC nogc;
    return ElementReader(CharsOf(owner, nogc) + offset, size);
  }();
  Element e;
  while (true) {
    FieldAt at;
    {
      JS::AutoCheckCannotGC nogc;
      const char* chars = CharsOf(owner, nogc);
      reader.Rebase(chars + offset);  // converting the last element may have moved the bytes
      if (!reader.Next(&e)) break;
      at = {0, e.type, static_cast<size_t>(e.payload - chars), e.size};
    }
    if (!BsonToJs(cx, at.type, owner, at.offset, at.size, &v) || !values.append(v)) return false;
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

// Any value but a document or an array, from bytes that no GC moves.
bool ScalarToJs(JSContext* cx, uint8_t type, const char* p, size_t size, JS::MutableHandleValue out) {
  JS::RootedValue a(cx), b(cx);
  switch (type) {
    case bson::kDouble: out.setDouble(JS::CanonicalizeNaN(bson::LoadDouble(p))); return true;
    case bson::kInt32: out.setInt32(bson::LoadInt32(p)); return true;
    case bson::kBool: out.setBoolean(*p != 0); return true;
    case bson::kNull: out.setNull(); return true;
    case bson::kUndefined: out.setUndefined(); return true;
    case bson::kString: case bson::kSymbol: return StringValue(cx, std::string_view(p, size), out);
    case bson::kCode: return CodeToJs(cx, std::string_view(p, size), out);
    case bson::kBinary: return BinaryToJs(cx, p, size, out);
    case bson::kRegex: return RegexToJs(cx, p, out);
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

JSString* NewByteString(JSContext* cx, const char* data, size_t size) { return JS_NewStringCopyN(cx, data, size); }

std::optional<LazyDocument> LazyDocument::Of(JSObject* obj) {
  if (JS::GetClass(obj) != &kLazyClass) return std::nullopt;
  return LazyDocument(obj);
}
std::string_view LazyDocument::bytes(const JS::AutoRequireNoGC& nogc) const {
  return {CharsOf(OwnerOf(obj_), nogc) + OffsetOf(obj_), SizeOf(obj_)};
}
uint8_t LazyDocument::FieldStateAt(size_t i) const { return StateOf(obj_, i); }
bool LazyDocument::has_extra() const { return HasFlag(obj_, kHasExtra); }
size_t LazyDocument::CountResolved() const {
  const size_t fields = CountFields(obj_);
  size_t n = 0;
  for (size_t i = 0; i < fields; ++i) n += StateOf(obj_, i) == kResolved;
  return n;
}

JSObject* NewLazyDocument(JSContext* cx, JS::HandleString owner, size_t offset, size_t size) {
  JSObject* obj = JS_NewObject(cx, &kLazyClass);
  if (!obj) return nullptr;
  JS::SetReservedSlot(obj, kOwner, JS::StringValue(owner));
  SetIntSlot(obj, kOffset, static_cast<int32_t>(offset));
  SetIntSlot(obj, kSize, static_cast<int32_t>(size));
  SetIntSlot(obj, kResolved, 0);
  SetIntSlot(obj, kDeleted, 0);
  SetIntSlot(obj, kFlags, 0);
  return obj;
}

bool BsonToJs(JSContext* cx, uint8_t type, JS::HandleString owner, size_t offset, size_t size,
              JS::MutableHandleValue out) {
  if (type == bson::kDocument) {
    JSObject* obj = NewLazyDocument(cx, owner, offset, size);
    if (!obj) return false;
    out.setObject(*obj);
    return true;
  }
  if (type == bson::kArray) return ArrayToJs(cx, owner, offset, size, out);
  // Anything else is converted from a copy: converting allocates, which may move the bytes.
  thread_local std::string payload;
  {
    JS::AutoCheckCannotGC nogc;
    payload.assign(CharsOf(owner, nogc) + offset, size);
  }
  return ScalarToJs(cx, type, payload.data(), size, out);
}

bool ValueToJs(JSContext* cx, uint8_t type, const char* payload, size_t size, JS::MutableHandleValue out) {
  if ((type == bson::kCode || type == bson::kSymbol) && size >= 5) {
    // The engine's views of these carry BSON's length prefix and NUL (include/aviary/value.h).
    return ScalarToJs(cx, type, payload + 4, size - 5, out);
  }
  if (type != bson::kDocument && type != bson::kArray) return ScalarToJs(cx, type, payload, size, out);
  JS::RootedString owner(cx, NewByteString(cx, payload, size));
  return owner && BsonToJs(cx, type, owner, 0, size, out);
}

}  // namespace aviary::js
