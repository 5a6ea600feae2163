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
#include <new>
#include <vector>
#include <js/MemoryFunctions.h>

#include "js/bson.h"
#include "js/natives.h"
#include "js/runtime.h"
#include "js/utf8.h"

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

// Reserved slots of a lazy document object.
enum Slot {
  kOwner,     // PrivateValue(Bytes*), one reference
  kOffset,    // Int32: the document's offset in the owner
  kSize,      // Int32: its size
  kResolved,  // Int32: bit i set when field i (i < 32) was converted
  kDeleted,   // Int32: bit i set when field i (i < 32) was deleted
  kFlags,     // Int32: kResolving | kHasExtra | kAccounted
  kOverflow,  // PrivateValue(std::vector<uint8_t>*) with the states of fields 32 and up, or undefined
  kSlots
};
enum Flag { kResolving = 1, kHasExtra = 2, kAccounted = 4 };

// Named "Object" so that Object.prototype.toString and error messages read as for {...}.
const JSClass kLazyClass = {"Object", JSCLASS_HAS_RESERVED_SLOTS(kSlots) | JSCLASS_FOREGROUND_FINALIZE, &kLazyOps,
                            nullptr, nullptr, nullptr};

int32_t IntSlot(JSObject* obj, Slot s) { return JS::GetReservedSlot(obj, s).toInt32(); }
void SetIntSlot(JSObject* obj, Slot s, int32_t v) { JS::SetReservedSlot(obj, s, JS::Int32Value(v)); }
Bytes* OwnerOf(JSObject* obj) { return JS::GetMaybePtrFromReservedSlot<Bytes>(obj, kOwner); }
std::vector<uint8_t>* OverflowOf(JSObject* obj) {
  return JS::GetMaybePtrFromReservedSlot<std::vector<uint8_t>>(obj, kOverflow);
}

uint8_t StateOf(JSObject* obj, size_t i) {
  if (i < 32) {
    const uint32_t bit = 1u << i;
    if (static_cast<uint32_t>(IntSlot(obj, kDeleted)) & bit) return LazyDocument::kDeleted;
    return (static_cast<uint32_t>(IntSlot(obj, kResolved)) & bit) ? LazyDocument::kResolved : LazyDocument::kUntouched;
  }
  const std::vector<uint8_t>* overflow = OverflowOf(obj);
  return overflow && i - 32 < overflow->size() ? (*overflow)[i - 32] : uint8_t{LazyDocument::kUntouched};
}

void MarkField(JSObject* obj, size_t i, uint8_t state) {
  if (i < 32) {
    const Slot s = state == LazyDocument::kDeleted ? kDeleted : kResolved;
    SetIntSlot(obj, s, static_cast<int32_t>(static_cast<uint32_t>(IntSlot(obj, s)) | (1u << i)));
    return;
  }
  std::vector<uint8_t>* overflow = OverflowOf(obj);
  if (overflow == nullptr) {
    overflow = new std::vector<uint8_t>();
    JS::SetReservedSlot(obj, kOverflow, JS::PrivateValue(overflow));
  }
  if (overflow->size() <= i - 32) overflow->resize(i - 31, LazyDocument::kUntouched);
  (*overflow)[i - 32] = state;
}

bool HasFlag(JSObject* obj, Flag f) { return (IntSlot(obj, kFlags) & f) != 0; }
void SetFlag(JSObject* obj, Flag f, bool on) {
  const int32_t flags = IntSlot(obj, kFlags);
  SetIntSlot(obj, kFlags, on ? flags | f : flags & ~f);
}

const char* DataOf(JSObject* obj) { return OwnerOf(obj)->data() + IntSlot(obj, kOffset); }

void LazyFinalize(JS::GCContext*, JSObject* obj) {
  Bytes* owner = OwnerOf(obj);
  if (owner == nullptr) return;
  if (HasFlag(obj, kAccounted)) JS::RemoveAssociatedMemory(obj, owner->size(), JS::MemoryUse::Embedding1);
  owner->Unref();
  delete OverflowOf(obj);
}

// The index and element of the field named `name`, if the document has one.
bool FindField(JSObject* obj, std::string_view name, size_t* index, Element* e) {
  ElementReader reader(DataOf(obj), static_cast<size_t>(IntSlot(obj, kSize)));
  for (size_t i = 0; reader.Next(e); ++i) {
    if (e->name == name) {
      *index = i;
      return true;
    }
  }
  return false;
}

bool LazyResolve(JSContext* cx, JS::HandleObject obj, JS::HandleId id, bool* resolved) {
  *resolved = false;
  if (OwnerOf(obj) == nullptr || id.isSymbol()) return true;
  std::string name;
  if (!KeyName(cx, id, &name)) return false;
  size_t index;
  Element e;
  if (!FindField(obj, name, &index, &e) || StateOf(obj, index) == LazyDocument::kDeleted) return true;
  JS::RootedValue value(cx);
  if (!BsonToJs(cx, e.type, e.payload, e.size, OwnerOf(obj), &value)) return false;
  SetFlag(obj, kResolving, true);
  const bool ok = JS_DefinePropertyById(cx, obj, id, value, JSPROP_ENUMERATE);
  SetFlag(obj, kResolving, false);
  if (!ok) return false;
  MarkField(obj, index, LazyDocument::kResolved);
  *resolved = true;
  return true;
}

// Field names in document order; SpiderMonkey then adds the properties the script defined.
bool LazyEnumerate(JSContext* cx, JS::HandleObject obj, JS::MutableHandleIdVector properties, bool) {
  if (OwnerOf(obj) == nullptr) return true;
  ElementReader reader(DataOf(obj), static_cast<size_t>(IntSlot(obj, kSize)));
  Element e;
  JS::RootedId id(cx);
  for (size_t i = 0; reader.Next(&e); ++i) {
    if (StateOf(obj, i) == LazyDocument::kDeleted) continue;
    JS::RootedString s(cx, NewUtf8String(cx, e.name));
    if (!s || !JS_StringToId(cx, s, &id) || !properties.append(id)) return false;
  }
  return true;
}

bool LazyAddProperty(JSContext*, JS::HandleObject obj, JS::HandleId, JS::HandleValue) {
  if (OwnerOf(obj) != nullptr && !HasFlag(obj, kResolving)) SetFlag(obj, kHasExtra, true);
  return true;
}

bool LazyDelProperty(JSContext* cx, JS::HandleObject obj, JS::HandleId id, JS::ObjectOpResult& result) {
  if (OwnerOf(obj) != nullptr && !id.isSymbol()) {
    std::string name;
    if (!KeyName(cx, id, &name)) return false;
    size_t index;
    Element e;
    if (FindField(obj, name, &index, &e)) MarkField(obj, index, LazyDocument::kDeleted);
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

Bytes* Bytes::Copy(const char* data, size_t size) {
  void* block = ::operator new(sizeof(Bytes) + size);
  auto* bytes = new (block) Bytes(size);
  std::memcpy(reinterpret_cast<char*>(bytes + 1), data, size);
  return bytes;
}

void Bytes::Unref() {
  if (--refs_ == 0) {
    this->~Bytes();
    ::operator delete(this);
  }
}

std::optional<LazyDocument> LazyDocument::Of(JSObject* obj) {
  if (JS::GetClass(obj) != &kLazyClass || OwnerOf(obj) == nullptr) return std::nullopt;
  return LazyDocument(obj);
}
const char* LazyDocument::data() const { return DataOf(obj_); }
size_t LazyDocument::size() const { return static_cast<size_t>(IntSlot(obj_, kSize)); }
Bytes* LazyDocument::owner() const { return OwnerOf(obj_); }
uint8_t LazyDocument::FieldStateAt(size_t i) const { return StateOf(obj_, i); }
bool LazyDocument::has_extra() const { return HasFlag(obj_, kHasExtra); }
size_t LazyDocument::CountResolved() const {
  size_t n = 0;
  for (size_t i = 0; i < 32 + (OverflowOf(obj_) ? OverflowOf(obj_)->size() : 0); ++i) n += StateOf(obj_, i) == kResolved;
  return n;
}

JSObject* NewLazyDocument(JSContext* cx, Bytes* owner, const char* data, size_t size) {
  JSObject* obj = JS_NewObject(cx, &kLazyClass);
  if (!obj) return nullptr;
  owner->Ref();
  const bool root = data == owner->data();  // the document that owns the bytes accounts for them
  JS::SetReservedSlot(obj, kOwner, JS::PrivateValue(owner));
  SetIntSlot(obj, kOffset, static_cast<int32_t>(data - owner->data()));
  SetIntSlot(obj, kSize, static_cast<int32_t>(size));
  SetIntSlot(obj, kResolved, 0);
  SetIntSlot(obj, kDeleted, 0);
  SetIntSlot(obj, kFlags, root ? kAccounted : 0);
  // Tell the GC about the bytes, so documents kept by nobody are collected as they pile up.
  if (root) JS::AddAssociatedMemory(obj, owner->size(), JS::MemoryUse::Embedding1);
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
  if ((type == bson::kCode || type == bson::kSymbol) && size >= 5) {
    // The engine's views of these carry BSON's length prefix and NUL (include/aviary/value.h).
    return BsonToJs(cx, type, payload + 4, size - 5, nullptr, out);
  }
  if (type != bson::kDocument && type != bson::kArray) return BsonToJs(cx, type, payload, size, nullptr, out);
  Bytes* owner = Bytes::Copy(payload, size);
  owner->Ref();  // held across the conversion, which takes references of its own
  const bool ok = BsonToJs(cx, type, owner->data(), owner->size(), owner, out);
  owner->Unref();
  return ok;
}

}  // namespace aviary::js
