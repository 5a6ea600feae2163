// UTF-8 <-> JavaScript strings and property names, with a copy-free path for ASCII.
#ifndef AVIARY_JS_UTF8_H_
#define AVIARY_JS_UTF8_H_

#include <jsapi.h>

#include <string>
#include <string_view>

namespace aviary::js {

// Appends `s` as UTF-8 (lone surrogates become U+FFFD). false with a pending exception on OOM.
bool AppendUtf8(JSContext* cx, JSString* s, std::string* out);

// The name of a property key as UTF-8 into *out (integer keys as decimal). false for symbols.
bool KeyName(JSContext* cx, JS::HandleId id, std::string* out);

// A new string from UTF-8 bytes (invalid sequences become U+FFFD), or nullptr with an exception.
JSString* NewUtf8String(JSContext* cx, std::string_view utf8);

}  // namespace aviary::js

#endif  // AVIARY_JS_UTF8_H_
