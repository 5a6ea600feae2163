#include "js/bson.h"

namespace aviary::js {
namespace {

// Bytes of the value of `type` at `p` (not counting a string's prefix specially), or -1.
int64_t ValueBytes(uint8_t type, const char* p, const char* end) {
  const int64_t avail = end - p;
  auto need = [avail](int64_t n) { return n >= 0 && n <= avail ? n : -1; };
  auto cstring = [p, end](const char* from) -> int64_t {
    const void* nul = std::memchr(from, 0, static_cast<size_t>(end - from));
    return nul ? static_cast<const char*>(nul) + 1 - p : -1;
  };
  switch (type) {
    case bson::kDouble: case bson::kDate: case bson::kTimestamp: case bson::kInt64: return need(8);
    case bson::kInt32: return need(4);
    case bson::kBool: return need(1);
    case bson::kNull: case bson::kUndefined: case bson::kMinKey: case bson::kMaxKey: return 0;
    case bson::kObjectId: return need(12);
    case bson::kDecimal: return need(16);
    case bson::kString: case bson::kCode: case bson::kSymbol:
      return avail >= 5 && bson::LoadInt32(p) >= 1 ? need(4 + int64_t{bson::LoadInt32(p)}) : -1;
    case bson::kDocument: case bson::kArray:
      return avail >= 5 && bson::LoadInt32(p) >= 5 ? need(bson::LoadInt32(p)) : -1;
    case bson::kBinary:
      return avail >= 5 && bson::LoadInt32(p) >= 0 ? need(5 + int64_t{bson::LoadInt32(p)}) : -1;
    case bson::kRegex: {
      const int64_t pattern = cstring(p);
      return pattern < 0 ? -1 : cstring(p + pattern);
    }
  }
  return -1;
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

bool ElementReader::Next(Element* e) {
  if (!ok_ || pos_ == nullptr || pos_ >= end_) return false;
  const auto type = static_cast<uint8_t>(*pos_);
  const char* name = pos_ + 1;
  const void* nul = std::memchr(name, 0, static_cast<size_t>(end_ - name));
  const char* payload = nul ? static_cast<const char*>(nul) + 1 : nullptr;
  const int64_t n = payload ? ValueBytes(type, payload, end_) : -1;
  if (n < 0) {
    ok_ = false;
    return false;
  }
  e->type = type;
  e->name = std::string_view(name, static_cast<size_t>(payload - 1 - name));
  e->begin = pos_;
  e->element_size = static_cast<size_t>(payload + n - pos_);
  if (bson::IsStringLike(type)) {
    e->payload = payload + 4;
    e->size = static_cast<size_t>(n - 5);
  } else {
    e->payload = payload;
    e->size = static_cast<size_t>(n);
  }
  pos_ = payload + n;
  return true;
}

std::string Hex(const char* data, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(data[i]);
    out[2 * i] = kHex[c >> 4];
    out[2 * i + 1] = kHex[c & 15];
  }
  return out;
}

std::string EncodeBase64(const char* data, size_t n) {
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(data[i])) << 16;
    if (i + 1 < n) v |= static_cast<uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8;
    if (i + 2 < n) v |= static_cast<unsigned char>(data[i + 2]);
    out.push_back(kBase64[(v >> 18) & 63]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(i + 1 < n ? kBase64[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < n ? kBase64[v & 63] : '=');
  }
  return out;
}

bool DecodeBase64(std::string_view text, std::string* out) {
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const int d = Base64Digit(c);
    if (d < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

}  // namespace aviary::js
