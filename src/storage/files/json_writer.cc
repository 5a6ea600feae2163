#include "storage/files/json_writer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

#include <bson/bson.h>

namespace aviary {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// True for bytes that cannot be copied into a JSON string as they are: control characters,
// '"', '\\', and every non-ASCII byte (checked as UTF-8 on the slow path).
constexpr std::array<bool, 256> MakeSpecialTable() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
  return t;
}
constexpr std::array<bool, 256> kSpecial = MakeSpecialTable();

// Length of the valid UTF-8 sequence at `p`, or 0 if the bytes there are not valid UTF-8.
size_t Utf8Length(const unsigned char* p, const unsigned char* end) {
  auto cont = [&](size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return p + i < end && p[i] >= lo && p[i] <= hi;
  };
  const unsigned c = p[0];
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;  // no overlongs, surrogates
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

void AppendEscaped(unsigned char c, std::string* out) {
  switch (c) {
    case '"': out->append("\\\""); return;
    case '\\': out->append("\\\\"); return;
    case '\n': out->append("\\n"); return;
    case '\r': out->append("\\r"); return;
    case '\t': out->append("\\t"); return;
    case '\b': out->append("\\b"); return;
    case '\f': out->append("\\f"); return;
  }
  const char u[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
  out->append(u, sizeof u);
}

template <typename T>
void AppendNumber(T v, std::string* out) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

void AppendDouble(double d, std::string* out) {
  if (!std::isfinite(d)) {
    out->append("{\"$numberDouble\": \"");
    out->append(std::isnan(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"));
    out->append("\"}");
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  const std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  out->append(s);
  // Keep it a double when read back: "1" would come back as an integer.
  if (s.find_first_of(".e") == std::string_view::npos) out->append(".0");
}

void AppendHexBytes(const char* data, size_t n, std::string* out) {
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(data[i]);
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 15]);
  }
}

void AppendBase64(const unsigned char* p, size_t n, std::string* out) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < n; i += 3) {
    const uint32_t b = (uint32_t{p[i]} << 16) | (i + 1 < n ? uint32_t{p[i + 1]} << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    out->push_back(kAlphabet[(b >> 18) & 63]);
    out->push_back(kAlphabet[(b >> 12) & 63]);
    out->push_back(i + 1 < n ? kAlphabet[(b >> 6) & 63] : '=');
    out->push_back(i + 2 < n ? kAlphabet[b & 63] : '=');
  }
}

void AppendBinary(ValueView v, std::string* out) {
  // Payload: int32 length, subtype byte, bytes (subtype 2 repeats the length inside).
  const auto* p = reinterpret_cast<const unsigned char*>(v.data());
  size_t n = v.size() >= 5 ? v.size() - 5 : 0;
  const unsigned char subtype = v.size() >= 5 ? p[4] : 0;
  const unsigned char* bytes = p + 5;
  if (subtype == 0x02 && n >= 4) bytes += 4, n -= 4;
  out->append("{\"$binary\": {\"base64\": \"");
  AppendBase64(bytes, n, out);
  out->append("\", \"subType\": \"");
  out->push_back(kHex[subtype >> 4]);
  out->push_back(kHex[subtype & 15]);
  out->append("\"}}");
}

// Appends `n` as exactly `width` digits.
void AppendPadded(int64_t n, int width, std::string* out) {
  char buf[8];
  for (int i = width - 1; i >= 0; --i, n /= 10) buf[i] = static_cast<char>('0' + n % 10);
  out->append(buf, static_cast<size_t>(width));
}

// ISO-8601 UTC with milliseconds only when non-zero, as MongoDB prints it.
// REQUIRES: 0 <= ms < the year 10000.
void AppendIsoDate(int64_t ms, std::string* out) {
  const int64_t millis = ms % 1000, secs = ms / 1000, days = secs / 86400, sod = secs % 86400;
  // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm, non-negative days only).
  const int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2);
  out->push_back('"');
  AppendPadded(year, 4, out);
  out->push_back('-');
  AppendPadded(month, 2, out);
  out->push_back('-');
  AppendPadded(day, 2, out);
  out->push_back('T');
  AppendPadded(sod / 3600, 2, out);
  out->push_back(':');
  AppendPadded(sod / 60 % 60, 2, out);
  out->push_back(':');
  AppendPadded(sod % 60, 2, out);
  if (millis != 0) {
    out->push_back('.');
    AppendPadded(millis, 3, out);
  }
  out->append("Z\"");
}

void AppendDate(int64_t ms, std::string* out) {
  constexpr int64_t kYear10000 = 253402300800000;  // 10000-01-01T00:00:00Z in ms
  out->append("{\"$date\": ");
  if (ms >= 0 && ms < kYear10000) {
    AppendIsoDate(ms, out);
  } else {
    out->append("{\"$numberLong\": \"");
    AppendNumber(ms, out);
    out->append("\"}");
  }
  out->push_back('}');
}

void AppendTimestamp(ValueView v, std::string* out) {
  const auto raw = static_cast<uint64_t>(v.size() == 8 ? detail::LoadInt64(v.data()) : 0);
  out->append("{\"$timestamp\": {\"t\": ");
  AppendNumber(static_cast<uint32_t>(raw >> 32), out);
  out->append(", \"i\": ");
  AppendNumber(static_cast<uint32_t>(raw), out);
  out->append("}}");
}

// Types only input documents hold (regex, code, decimal128, ...), in MongoDB's relaxed Extended
// JSON as libbson writes it ({"$regularExpression": ...}, {"$numberDecimal": "1.1"}); null when
// the bytes are malformed. Rare, so the one-field document and libbson's allocation are fine.
void AppendOtherType(ValueView v, std::string* out) {
  std::string doc(4, '\0');
  doc.push_back(static_cast<char>(v.type()));
  doc.append("v", 2);  // the name and its NUL
  doc.append(v.data(), v.size());
  doc.push_back('\0');
  const auto n = static_cast<int32_t>(doc.size());
  std::memcpy(doc.data(), &n, 4);
  bson_t b;
  size_t length = 0;
  char* json = nullptr;
  if (bson_init_static(&b, reinterpret_cast<const uint8_t*>(doc.data()), doc.size()) &&
      bson_validate(&b, BSON_VALIDATE_NONE, nullptr)) {
    json = bson_as_relaxed_extended_json(&b, &length);
  }
  const std::string_view text = json ? std::string_view(json, length) : std::string_view();
  // `{ "v" : VALUE }`: keep VALUE.
  const size_t start = text.find(':');
  if (start == std::string_view::npos || text.size() < start + 4) {
    out->append("null");
  } else {
    out->append(text.substr(start + 2, text.size() - start - 4));
  }
  bson_free(json);
}

void AppendContainer(ValueView v, std::string* out) {
  const bool array = v.is_array();
  out->push_back(array ? '[' : '{');
  bool first = true;
  for (const DocumentView::Field& field : v.as_document()) {
    if (!first) out->append(", ");
    first = false;
    if (!array) {
      AppendJsonString(field.name, out);
      out->append(": ");
    }
    AppendJson(field.value, out);
  }
  out->push_back(array ? ']' : '}');
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char* run = p;
    while (p < end && !kSpecial[*p]) ++p;
    out->append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
    if (p == end) break;
    if (*p < 0x80) {
      AppendEscaped(*p++, out);
    } else if (const size_t n = Utf8Length(p, end); n > 0) {
      out->append(reinterpret_cast<const char*>(p), n);
      p += n;
    } else {
      out->append("\\ufffd");
      ++p;
    }
  }
  out->push_back('"');
}

void AppendJson(ValueView v, std::string* out) {
  switch (v.type()) {
    case Type::kString: AppendJsonString(v.as_string(), out); return;
    case Type::kInt32:
    case Type::kInt64: AppendNumber(v.as_int(), out); return;
    case Type::kDouble: AppendDouble(v.as_double(), out); return;
    case Type::kBool: out->append(v.as_bool() ? "true" : "false"); return;
    case Type::kDocument:
    case Type::kArray: AppendContainer(v, out); return;
    case Type::kObjectId:
      out->append("{\"$oid\": \"");
      AppendHexBytes(v.data(), v.size(), out);
      out->append("\"}");
      return;
    case Type::kDateTime: AppendDate(v.as_datetime_ms(), out); return;
    case Type::kTimestamp: AppendTimestamp(v, out); return;
    case Type::kBinary: AppendBinary(v, out); return;
    case Type::kNull:
    case Type::kUndefined: break;
    case Type::kRegex:
    case Type::kDbPointer:
    case Type::kCode:
    case Type::kSymbol:
    case Type::kCodeWithScope:
    case Type::kDecimal128:
    case Type::kMinKey:
    case Type::kMaxKey: AppendOtherType(v, out); return;
  }
  out->append("null");
}

namespace {

// AppendResultLine() of a word count's line, a string key that needs no escaping and an integer
// value, built in a stack buffer and appended once (the general path's seven appends were a
// tenth of a reduce over 200K keys). False, with nothing appended, for any other line.
bool AppendPlainCountLine(ValueView key, ValueView value, std::string* out) {
  constexpr std::string_view kOpen = "{\"_id\": \"", kMiddle = "\", \"value\": ", kClose = "}\n";
  constexpr size_t kMaxKey = 64;
  if (key.type() != Type::kString || !value.is_int() || key.size() > kMaxKey) return false;
  const auto* k = reinterpret_cast<const unsigned char*>(key.data());
  for (size_t i = 0; i < key.size(); ++i) {
    if (kSpecial[k[i]]) return false;
  }
  char line[kOpen.size() + kMaxKey + kMiddle.size() + 20 + kClose.size()];
  char* p = line;
  p = std::copy(kOpen.begin(), kOpen.end(), p);
  if (key.size() != 0) p = static_cast<char*>(std::memcpy(p, key.data(), key.size())) + key.size();
  p = std::copy(kMiddle.begin(), kMiddle.end(), p);
  p = std::to_chars(p, line + sizeof line, value.as_int()).ptr;
  p = std::copy(kClose.begin(), kClose.end(), p);
  out->append(line, static_cast<size_t>(p - line));
  return true;
}

}  // namespace

void AppendResultLine(ValueView key, ValueView value, std::string* out) {
  if (AppendPlainCountLine(key, value, out)) return;
  out->append("{\"_id\": ");
  AppendJson(key, out);
  out->append(", \"value\": ");
  AppendJson(value, out);
  out->append("}\n");
}

}  // namespace aviary
