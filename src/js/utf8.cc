#include "js/utf8.h"

#include <js/CharacterEncoding.h>
#include <js/String.h>
#include <mozilla/Span.h>

#include <cstdint>
#include <cstring>

namespace aviary::js {

bool AppendUtf8(JSContext* cx, JSString* s, std::string* out) {
  const size_t length = JS_GetStringLength(s);
  if (JS::StringHasLatin1Chars(s)) {
    JSLinearString* linear = JS_EnsureLinearString(cx, s);
    if (!linear) return false;
    JS::AutoCheckCannotGC nogc;
    const JS::Latin1Char* chars = JS::GetLatin1LinearStringChars(nogc, linear);
    size_t i = 0;
    while (i < length && chars[i] < 0x80) ++i;
    out->append(reinterpret_cast<const char*>(chars), i);
    for (; i < length; ++i) {  // Latin-1 above ASCII takes two UTF-8 bytes
      const unsigned c = chars[i];
      if (c < 0x80) {
        out->push_back(static_cast<char>(c));
      } else {
        out->push_back(static_cast<char>(0xC0 | (c >> 6)));
        out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
      }
    }
    return true;
  }
  const size_t at = out->size();
  out->resize(at + 3 * length);
  auto result = JS_EncodeStringToUTF8BufferPartial(cx, s, mozilla::Span<char>(out->data() + at, 3 * length));
  if (!result) {
    out->resize(at);
    return false;
  }
  out->resize(at + mozilla::Get<1>(*result));
  return true;
}

bool KeyName(JSContext* cx, JS::HandleId id, std::string* out) {
  out->clear();
  if (id.isInt()) {
    *out = std::to_string(id.toInt());
    return true;
  }
  if (!id.isString()) return false;
  return AppendUtf8(cx, id.toString(), out);
}

JSString* NewUtf8String(JSContext* cx, std::string_view utf8) {
  // Most text is ASCII: copying it as Latin-1 skips SpiderMonkey's UTF-8 decoder, the
  // costliest step of reading a document's string field.
  uint64_t high = 0;
  size_t i = 0;
  for (; i + 8 <= utf8.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, utf8.data() + i, 8);
    high |= word;
  }
  for (; i < utf8.size(); ++i) high |= static_cast<unsigned char>(utf8[i]);
  if ((high & 0x8080808080808080ull) == 0) return JS_NewStringCopyN(cx, utf8.data(), utf8.size());
  return JS_NewStringCopyUTF8N(cx, JS::UTF8Chars(utf8.data(), utf8.size()));
}

}  // namespace aviary::js
