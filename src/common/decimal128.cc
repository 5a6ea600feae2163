#include "common/decimal128.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

namespace aviary {
namespace {

constexpr int kExponentBias = 6176;

// A number as a sign, significant digits (no leading or trailing zeros) and the power of ten of
// the first digit: exact for every int64, double and decimal128, so one comparison serves all.
struct Exact {
  // In MongoDB's order; finite numbers of each sign compare by magnitude.
  enum Rank { kNaN, kMinusInfinity, kNegative, kZero, kPositive, kPlusInfinity };
  Rank rank = kZero;
  std::string digits;
  int power = 0;
};

Exact FromDigits(bool negative, std::string digits, int power) {
  Exact e;
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  if (digits.empty()) return e;
  e.rank = negative ? Exact::kNegative : Exact::kPositive;
  e.digits = std::move(digits);
  e.power = power;
  return e;
}

std::string U128Digits(U128 v) {
  std::string s;
  do {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return s;
}

Exact OfDecimal(const Decimal128Parts& d) {
  Exact e;
  if (d.kind == Decimal128Parts::Kind::kNaN) e.rank = Exact::kNaN;
  if (d.kind == Decimal128Parts::Kind::kInfinity) e.rank = d.negative ? Exact::kMinusInfinity : Exact::kPlusInfinity;
  if (d.kind != Decimal128Parts::Kind::kFinite) return e;
  std::string digits = U128Digits(d.coefficient);
  const int power = d.exponent + static_cast<int>(digits.size()) - 1;
  return FromDigits(d.negative, std::move(digits), power);
}

Exact OfDouble(double v) {
  Exact e;
  if (std::isnan(v)) e.rank = Exact::kNaN;
  if (std::isinf(v)) e.rank = v < 0 ? Exact::kMinusInfinity : Exact::kPlusInfinity;
  if (!std::isfinite(v) || v == 0) return e;
  // Every double is a finite binary fraction, so its decimal expansion ends; 767 significant
  // digits cover the longest (the smallest subnormals), and glibc prints them exactly.
  char text[800];
  std::snprintf(text, sizeof text, "%.767e", std::fabs(v));
  const char* mark = std::strchr(text, 'e');
  std::string digits(1, text[0]);
  digits.append(text + 2, static_cast<size_t>(mark - (text + 2)));
  return FromDigits(v < 0, std::move(digits), std::atoi(mark + 1));
}

Exact OfInt64(int64_t v) {
  const uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  std::string digits = std::to_string(magnitude);
  const int power = static_cast<int>(digits.size()) - 1;
  return FromDigits(v < 0, std::move(digits), power);
}

int Sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

int Order(const Exact& a, const Exact& b) {
  if (a.rank != b.rank) return a.rank < b.rank ? -1 : 1;
  if (a.rank != Exact::kNegative && a.rank != Exact::kPositive) return 0;
  int magnitude = a.power != b.power ? (a.power < b.power ? -1 : 1) : Sign(a.digits.compare(b.digits));
  return a.rank == Exact::kPositive ? magnitude : -magnitude;
}

}  // namespace

Decimal128Parts DecodeDecimal128(const char* bytes) {
  uint64_t lo, hi;
  std::memcpy(&lo, bytes, 8);
  std::memcpy(&hi, bytes + 8, 8);
  Decimal128Parts d;
  d.negative = (hi >> 63) != 0;
  const uint64_t top5 = (hi >> 58) & 0x1F;
  if (top5 == 0x1F) {
    d.kind = Decimal128Parts::Kind::kNaN;
    return d;
  }
  if (top5 == 0x1E) {
    d.kind = Decimal128Parts::Kind::kInfinity;
    return d;
  }
  int biased;
  if (((hi >> 61) & 3) == 3) {
    biased = static_cast<int>((hi >> 47) & 0x3FFF);  // the coefficient would be >= 2^113: zero
  } else {
    biased = static_cast<int>((hi >> 49) & 0x3FFF);
    d.coefficient = (U128{hi & ((uint64_t{1} << 49) - 1)} << 64) | lo;
  }
  U128 limit = 1;
  for (int i = 0; i < 34; ++i) limit *= 10;
  if (d.coefficient >= limit) d.coefficient = 0;
  d.exponent = biased - kExponentBias;
  return d;
}

int CompareDecimals(const Decimal128Parts& a, const Decimal128Parts& b) { return Order(OfDecimal(a), OfDecimal(b)); }
int CompareDecimalToDouble(const Decimal128Parts& a, double b) { return Order(OfDecimal(a), OfDouble(b)); }
int CompareDecimalToInt64(const Decimal128Parts& a, int64_t b) { return Order(OfDecimal(a), OfInt64(b)); }

int64_t DecimalToInt64ForHash(const Decimal128Parts& d) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
  if (d.kind == Decimal128Parts::Kind::kNaN) return 0;
  if (d.kind == Decimal128Parts::Kind::kInfinity) return d.negative ? kMin : kMax;
  if (d.coefficient == 0) return 0;
  const Exact e = OfDecimal(d);
  if (e.power >= 19) return d.negative ? kMin : kMax;  // at least 10^19 > 2^63
  U128 whole = d.coefficient;
  if (d.exponent >= 0) {
    for (int i = 0; i < d.exponent; ++i) whole *= 10;  // < 10^19: fits
  } else if (d.exponent < -34) {
    return 0;  // below 10^-1: rounds to zero
  } else {
    U128 divisor = 1;
    for (int i = 0; i < -d.exponent; ++i) divisor *= 10;
    const U128 remainder = d.coefficient % divisor;
    whole = d.coefficient / divisor;
    const U128 twice = remainder * 2;  // < 2 * 10^34: no overflow
    if (twice > divisor || (twice == divisor && (whole & 1) != 0)) ++whole;
  }
  if (d.negative) return whole > U128{1} << 63 ? kMin : static_cast<int64_t>(0 - static_cast<uint64_t>(whole));
  return whole > static_cast<U128>(kMax) ? kMax : static_cast<int64_t>(whole);
}

}  // namespace aviary
