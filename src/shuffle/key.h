// Encoded keys and values as the shuffle stores them, and the key order.
//
// Encoding: 1 type byte (aviary::Type) followed by ValueView::data() (strings: the characters
// only). Keys are encoded in their canonical form (canonical_key.h: the collector converts every
// emitted key), so equal bytes mean equal keys in MongoDB's sense: Emit(5), Emit(5L) and
// Emit(5.0) meet as one key. Values keep their type as emitted.
//
// Key order, a total order used by runs, segments and so the final output:
//   1. by type byte (double < string < document < array < binary < objectId < bool < date <
//      null < timestamp < int64);
//   2. within a type: int64 and date numerically (signed); timestamp numerically (unsigned);
//      double numerically with IEEE-754 totalOrder (-NaN < -inf < ... < -0 < +0 < ... < +inf <
//      NaN), which also tells -0 from +0 and orders NaNs, so equal order means equal bytes;
//      every other type (strings included) bytewise as memcmp, a shorter prefix first.
// Two keys compare equal exactly when their encodings are byte-identical.
#ifndef AVIARY_SHUFFLE_KEY_H_
#define AVIARY_SHUFFLE_KEY_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "aviary/value.h"

namespace aviary::shuffle {

namespace detail {
// Per type tag: the payload width, kAnyWidth for variable-size types, kBadTag for unknown tags.
inline constexpr int8_t kAnyWidth = -1;
inline constexpr int8_t kBadTag = -2;
inline constexpr std::array<int8_t, 256> kWidth = [] {
  std::array<int8_t, 256> w{};
  w.fill(kBadTag);
  for (Type t : {Type::kString, Type::kDocument, Type::kArray, Type::kBinary, Type::kRegex, Type::kDbPointer,
                 Type::kCode, Type::kSymbol, Type::kCodeWithScope}) {
    w[static_cast<uint8_t>(t)] = kAnyWidth;
  }
  for (Type t : {Type::kDouble, Type::kDateTime, Type::kTimestamp, Type::kInt64}) w[static_cast<uint8_t>(t)] = 8;
  w[static_cast<uint8_t>(Type::kInt32)] = 4;
  w[static_cast<uint8_t>(Type::kBool)] = 1;
  for (Type t : {Type::kNull, Type::kUndefined, Type::kMinKey, Type::kMaxKey}) w[static_cast<uint8_t>(t)] = 0;
  w[static_cast<uint8_t>(Type::kObjectId)] = 12;
  w[static_cast<uint8_t>(Type::kDecimal128)] = 16;
  return w;
}();
}  // namespace detail

// True when a fixed-width type has its width (int64: 8 bytes, ...) and the tag is known: the
// engine reads such payloads as numbers, so a malformed view must not get in. A table, not a
// switch: this runs twice per emit.
inline bool HasValidSize(ValueView v) {
  const int8_t width = detail::kWidth[static_cast<uint8_t>(v.type())];
  if (width == detail::kAnyWidth) return v.size() == 0 || v.data() != nullptr;
  return width >= 0 && static_cast<size_t>(width) == v.size();
}

// Whether the `n` bytes at `a` and `b` are equal; inlined loads for short keys, where a call
// to memcmp would cost more than the comparison.
inline bool BytesEqual(const char* a, const char* b, size_t n) {
  auto load64 = [](const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  };
  auto load32 = [](const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  };
  if (n >= 8) {
    if (n > 16) return std::memcmp(a, b, n) == 0;
    return ((load64(a) ^ load64(b)) | (load64(a + n - 8) ^ load64(b + n - 8))) == 0;  // overlapping halves
  }
  if (n >= 4) return ((load32(a) ^ load32(b)) | (load32(a + n - 4) ^ load32(b + n - 4))) == 0;
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Bytes EncodeKey() writes for `key`.
inline size_t EncodedKeySize(ValueView key) { return key.type() == Type::kInt32 ? 9 : 1 + key.size(); }

// Writes the encoded key to `dst` (room for EncodedKeySize(key) bytes); returns its length.
inline size_t EncodeKey(ValueView key, char* dst) {
  if (key.type() == Type::kInt32) {
    const int64_t wide = key.as_int();
    dst[0] = static_cast<char>(Type::kInt64);
    std::memcpy(dst + 1, &wide, sizeof wide);
    return 9;
  }
  dst[0] = static_cast<char>(key.type());
  if (key.size() != 0) std::memcpy(dst + 1, key.data(), key.size());
  return 1 + key.size();
}

// Writes the encoded value (1 + v.size() bytes) to `dst`; returns its length.
inline size_t EncodeValue(ValueView v, char* dst) {
  dst[0] = static_cast<char>(v.type());
  if (v.size() != 0) std::memcpy(dst + 1, v.data(), v.size());
  return 1 + v.size();
}

// The view of an encoded key or value; it points into `encoded`.
// REQUIRES: !encoded.empty()
inline ValueView DecodeValue(std::string_view encoded) {
  return ValueView(static_cast<Type>(static_cast<uint8_t>(encoded[0])), encoded.data() + 1, encoded.size() - 1);
}

namespace detail {
// The 8-byte payload of a numeric key as an unsigned number in key order.
inline uint64_t OrderedNumber(uint8_t type, const char* payload) {
  uint64_t bits;
  std::memcpy(&bits, payload, sizeof bits);
  switch (static_cast<Type>(type)) {
    case Type::kInt64:
    case Type::kDateTime: return bits ^ (uint64_t{1} << 63);
    case Type::kDouble: return (bits >> 63) ? ~bits : bits | (uint64_t{1} << 63);
    default: return bits;  // timestamp: already unsigned
  }
}

inline bool IsNumericKey(uint8_t type) {
  const Type t = static_cast<Type>(type);
  return t == Type::kInt64 || t == Type::kDouble || t == Type::kDateTime || t == Type::kTimestamp;
}
}  // namespace detail

// <0, 0, >0 as `a` sorts before, equal to, after `b` (both encoded keys, see file comment).
inline int CompareKeys(std::string_view a, std::string_view b) {
  const auto ta = static_cast<uint8_t>(a[0]);
  const auto tb = static_cast<uint8_t>(b[0]);
  if (ta != tb) return ta < tb ? -1 : 1;
  if (detail::IsNumericKey(ta) && a.size() == 9 && b.size() == 9) {
    const uint64_t x = detail::OrderedNumber(ta, a.data() + 1);
    const uint64_t y = detail::OrderedNumber(tb, b.data() + 1);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  const int c = std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

// An order-preserving 64-bit digest of the key's payload: for keys of one type,
// KeyPrefix(a) < KeyPrefix(b) implies a sorts before b, and for numeric types equal prefixes
// mean equal keys. Sorting on it first keeps most comparisons out of the key bytes.
uint64_t KeyPrefix(std::string_view key);

// A short printable form of an encoded key for error messages: "word", 42, 2.5, or the type.
std::string DescribeKey(std::string_view key);

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_KEY_H_
