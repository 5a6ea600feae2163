#include "js/natives.h"

#include <js/Conversions.h>
#include <js/Object.h>
#include <js/PropertyAndElement.h>
#include <js/String.h>
#include <openssl/evp.h>

#include <cstdio>
#include <exception>
#include <string>

#include "js/bson.h"

namespace aviary::js {
namespace {

// One class per shell type, so an instance is recognised by its class; two reserved slots hold
// its data (NumberLong: a BigInt; ObjectId: the hex string; BinData: subtype and base64; ...).
const JSClass kTypedClasses[kKinds] = {
    {"NumberLong", JSCLASS_HAS_RESERVED_SLOTS(2), nullptr, nullptr, nullptr, nullptr}, {"NumberInt", JSCLASS_HAS_RESERVED_SLOTS(2), nullptr, nullptr, nullptr, nullptr},
    {"ObjectId", JSCLASS_HAS_RESERVED_SLOTS(2), nullptr, nullptr, nullptr, nullptr},   {"BinData", JSCLASS_HAS_RESERVED_SLOTS(2), nullptr, nullptr, nullptr, nullptr},
    {"Timestamp", JSCLASS_HAS_RESERVED_SLOTS(2), nullptr, nullptr, nullptr, nullptr},  {"MinKey", JSCLASS_HAS_RESERVED_SLOTS(2), nullptr, nullptr, nullptr, nullptr},
    {"MaxKey", JSCLASS_HAS_RESERVED_SLOTS(2), nullptr, nullptr, nullptr, nullptr},     {"NumberDecimal", JSCLASS_HAS_RESERVED_SLOTS(2), nullptr, nullptr, nullptr, nullptr},
};

// Runs a native's body, turning a C++ exception into a JS error: none may unwind through
// SpiderMonkey's frames.
template <typename Fn>
bool Guard(JSContext* cx, const char* name, Fn&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    JS_ReportErrorUTF8(cx, "%s: internal error: %s", name, e.what());
  } catch (...) {
    JS_ReportErrorUTF8(cx, "%s: internal error", name);
  }
  return false;
}

bool ToUtf8(JSContext* cx, JS::HandleValue v, std::string* out) {
  JS::RootedString s(cx, JS::ToString(cx, v));
  if (!s) return false;
  JS::UniqueChars chars = JS_EncodeStringToUTF8(cx, s);
  if (!chars) return false;
  *out = chars.get();
  return true;
}

bool Emit(JSContext* cx, unsigned argc, JS::Value* vp) {
  JS::CallArgs args = JS::CallArgsFromVp(argc, vp);
  return Guard(cx, "emit", [&] {
    Runtime* rt = RuntimeOf(cx);
    if (rt == nullptr || rt->emitter() == nullptr) {
      JS_ReportErrorASCII(cx, "emit() can only be called from the map function");
      return false;
    }
    if (args.length() != 2) {
      JS_ReportErrorASCII(cx, "emit() takes 2 arguments (key, value), got %u", args.length());
      return false;
    }
    args.rval().setUndefined();
    return rt->emitter()->Emit(cx, args[0], args[1]);
  });
}

// print(a, b, ...): the arguments as strings, separated by spaces, to the task's log (stderr).
bool Print(JSContext* cx, unsigned argc, JS::Value* vp) {
  JS::CallArgs args = JS::CallArgsFromVp(argc, vp);
  return Guard(cx, "print", [&] {
    std::string line;
    for (unsigned i = 0; i < args.length(); ++i) {
      std::string part;
      if (!ToUtf8(cx, args[i], &part)) return false;
      line += (i ? " " : "") + part;
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
    args.rval().setUndefined();
    return true;
  });
}

// hex_md5(s): the MD5 of the string's UTF-8 bytes, in lower-case hex.
bool HexMd5(JSContext* cx, unsigned argc, JS::Value* vp) {
  JS::CallArgs args = JS::CallArgsFromVp(argc, vp);
  return Guard(cx, "hex_md5", [&] {
    std::string text;
    if (!ToUtf8(cx, args.get(0), &text)) return false;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(text.data(), text.size(), digest, &n, EVP_md5(), nullptr)) {
      JS_ReportErrorASCII(cx, "hex_md5: MD5 is not available");
      return false;
    }
    const std::string hex = Hex(reinterpret_cast<const char*>(digest), n);
    JSString* s = JS_NewStringCopyN(cx, hex.data(), hex.size());
    if (!s) return false;
    args.rval().setString(s);
    return true;
  });
}

// __make(kind, slot0, slot1): a shell type instance (the prelude's constructors use it).
bool Make(JSContext* cx, unsigned argc, JS::Value* vp) {
  JS::CallArgs args = JS::CallArgsFromVp(argc, vp);
  const int kind = args.get(0).isInt32() ? args.get(0).toInt32() : -1;
  if (kind < 0 || kind >= kKinds) {
    JS_ReportErrorASCII(cx, "__make: bad kind");
    return false;
  }
  JSObject* obj = NewTyped(cx, static_cast<Kind>(kind), args.get(1), args.get(2));
  if (!obj) return false;
  args.rval().setObject(*obj);
  return true;
}

// __slot(obj, i): reserved slot i of a shell type instance, undefined for anything else.
bool Slot(JSContext* cx, unsigned argc, JS::Value* vp) {
  JS::CallArgs args = JS::CallArgsFromVp(argc, vp);
  Kind kind;
  const int i = args.get(1).isInt32() ? args.get(1).toInt32() : 0;
  if (args.get(0).isObject() && KindOf(&args.get(0).toObject(), &kind) && (i == 0 || i == 1)) {
    args.rval().set(TypedSlot(&args.get(0).toObject(), i));
  } else {
    args.rval().setUndefined();
  }
  return true;
}

const char* KindName(Kind kind) { return kTypedClasses[static_cast<int>(kind)].name; }

}  // namespace

const JSClass* Runtime::ClassOf(Kind kind) { return &kTypedClasses[static_cast<int>(kind)]; }

bool InstallNatives(JSContext* cx, JS::HandleObject global) {
  static const JSFunctionSpec kFunctions[] = {
      JS_FN("emit", Emit, 2, 0),     JS_FN("print", Print, 0, 0), JS_FN("hex_md5", HexMd5, 1, 0),
      JS_FN("__make", Make, 3, 0),   JS_FN("__slot", Slot, 2, 0), JS_FS_END,
  };
  return JS_DefineFunctions(cx, global, kFunctions);
}

bool LookUpProto(JSContext* cx, JS::HandleObject global, Kind kind, JS::MutableHandleObject proto) {
  JS::RootedValue ctor(cx);
  if (!JS_GetProperty(cx, global, KindName(kind), &ctor) || !ctor.isObject()) return false;
  JS::RootedObject ctor_obj(cx, &ctor.toObject());
  JS::RootedValue p(cx);
  if (!JS_GetProperty(cx, ctor_obj, "prototype", &p) || !p.isObject()) return false;
  proto.set(&p.toObject());
  return true;
}

JSObject* NewTyped(JSContext* cx, Kind kind, JS::HandleValue slot0, JS::HandleValue slot1) {
  Runtime* rt = RuntimeOf(cx);
  JS::RootedObject proto(cx, rt ? rt->proto(kind) : nullptr);
  JSObject* obj = JS_NewObjectWithGivenProto(cx, Runtime::ClassOf(kind), proto);
  if (!obj) return nullptr;
  JS::SetReservedSlot(obj, 0, slot0);
  JS::SetReservedSlot(obj, 1, slot1);
  return obj;
}

bool KindOf(JSObject* obj, Kind* kind) {
  const JSClass* c = JS::GetClass(obj);
  for (int k = 0; k < kKinds; ++k) {
    if (c == &kTypedClasses[k]) {
      *kind = static_cast<Kind>(k);
      return true;
    }
  }
  return false;
}

JS::Value TypedSlot(JSObject* obj, int i) { return JS::GetReservedSlot(obj, i); }

}  // namespace aviary::js
