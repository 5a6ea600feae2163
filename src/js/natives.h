// The helpers that mapReduce code expects in its global scope: the native half (emit, print,
// hex_md5, and the shell types' classes) and the JavaScript half (prelude.cc: Array.sum, tojson,
// NumberLong's methods, ...).
#ifndef AVIARY_JS_NATIVES_H_
#define AVIARY_JS_NATIVES_H_

#include <jsapi.h>

#include "js/runtime.h"

namespace aviary::js {

// Defines emit, print, hex_md5 and the internal __make/__slot on `global`.
bool InstallNatives(JSContext* cx, JS::HandleObject global);

// The helpers written in JavaScript, evaluated once per context after InstallNatives.
extern const char kPrelude[];

// Finds the prototype the prelude gave `kind` (global[name].prototype).
bool LookUpProto(JSContext* cx, JS::HandleObject global, Kind kind, JS::MutableHandleObject proto);

// A new instance of a shell type with its reserved slots set (unused slots may be undefined).
JSObject* NewTyped(JSContext* cx, Kind kind, JS::HandleValue slot0, JS::HandleValue slot1);
// The shell type of `obj`, if it is an instance of one.
bool KindOf(JSObject* obj, Kind* kind);
// Reserved slot `i` (0 or 1) of a shell type instance.
JS::Value TypedSlot(JSObject* obj, int i);

}  // namespace aviary::js

#endif  // AVIARY_JS_NATIVES_H_
