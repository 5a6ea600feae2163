// BSON Decimal128 (IEEE 754-2008 decimal, binary integer encoding) taken apart, and numbers of
// different BSON types ordered by exact value, as MongoDB orders them: 3, NumberLong(3), 3.0 and
// NumberDecimal("3.00") are equal; NaN sorts before every other number and equals NaN.
//
// Thread safety: pure functions.
#ifndef AVIARY_COMMON_DECIMAL128_H_
#define AVIARY_COMMON_DECIMAL128_H_

#include <cstdint>

namespace aviary {

using U128 = unsigned __int128;

struct Decimal128Parts {
  enum class Kind { kFinite, kInfinity, kNaN };
  Kind kind = Kind::kFinite;
  bool negative = false;
  U128 coefficient = 0;  // < 10^34; a non-canonical encoding reads as 0, as the standard says
  int exponent = 0;      // unbiased: the value is coefficient * 10^exponent
};

// The 16 bytes of a BSON decimal128 payload (little-endian).
Decimal128Parts DecodeDecimal128(const char* bytes);

// -1, 0 or 1 by exact value.
int CompareDecimals(const Decimal128Parts& a, const Decimal128Parts& b);
int CompareDecimalToDouble(const Decimal128Parts& a, double b);
int CompareDecimalToInt64(const Decimal128Parts& a, int64_t b);

// The int64 MongoDB's hashed index folds a decimal to (safeNumberLongForHash): the nearest
// integer, ties to even, clamped to int64's range; 0 for NaN.
int64_t DecimalToInt64ForHash(const Decimal128Parts& d);

}  // namespace aviary

#endif  // AVIARY_COMMON_DECIMAL128_H_
