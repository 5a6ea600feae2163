#include "common/decimal128.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace aviary {
namespace {

// The BID bytes of (-1)^negative * coefficient * 10^exponent (coefficient < 2^113).
Decimal128Parts Dec(U128 coefficient, int exponent, bool negative = false) {
  const uint64_t lo = static_cast<uint64_t>(coefficient);
  const uint64_t hi = (negative ? uint64_t{1} << 63 : 0) | (static_cast<uint64_t>(exponent + 6176) << 49) |
                      static_cast<uint64_t>(coefficient >> 64);
  char bytes[16];
  std::memcpy(bytes, &lo, 8);
  std::memcpy(bytes + 8, &hi, 8);
  return DecodeDecimal128(bytes);
}

Decimal128Parts Special(uint64_t hi) {
  char bytes[16] = {};
  std::memcpy(bytes + 8, &hi, 8);
  return DecodeDecimal128(bytes);
}

U128 Digits(const char* text) {
  U128 v = 0;
  for (; *text != 0; ++text) v = v * 10 + static_cast<U128>(*text - '0');
  return v;
}

U128 Pow10(int n) {
  U128 v = 1;
  while (n-- > 0) v *= 10;
  return v;
}

TEST(Decimal128, EqualValuesOfEveryTypeAreEqual) {
  EXPECT_EQ(CompareDecimalToInt64(Dec(300, -2), 3), 0);  // NumberDecimal("3.00")
  EXPECT_EQ(CompareDecimalToDouble(Dec(300, -2), 3.0), 0);
  EXPECT_EQ(CompareDecimals(Dec(1, 2), Dec(100, 0)), 0);
  EXPECT_EQ(CompareDecimalToDouble(Dec(25, -1, true), -2.5), 0);
  EXPECT_EQ(CompareDecimalToInt64(Dec(0, 5, true), 0), 0);  // -0E+5
  EXPECT_EQ(CompareDecimalToInt64(Dec(U128{1} << 63, 0, true), std::numeric_limits<int64_t>::min()), 0);
}

TEST(Decimal128, OrdersByExactValueAgainstDoubles) {
  // 0.1 has no double: the nearest one is 0.1000000000000000055511151231257827021181583404541015625.
  EXPECT_LT(CompareDecimalToDouble(Dec(1, -1), 0.1), 0);
  EXPECT_LT(CompareDecimalToDouble(Dec(Digits("1000000000000000055511151231257827"), -34), 0.1), 0);
  EXPECT_GT(CompareDecimalToDouble(Dec(Digits("1000000000000000055511151231257828"), -34), 0.1), 0);
  // 2^53 + 1 against the double 2^53, which a conversion to double would make equal.
  EXPECT_GT(CompareDecimalToDouble(Dec(9007199254740993ULL, 0), 9007199254740992.0), 0);
  EXPECT_LT(CompareDecimalToDouble(Dec(1, -400), 5e-324), 0);  // below the smallest subnormal
  EXPECT_GT(CompareDecimalToDouble(Dec(1, 400), std::numeric_limits<double>::max()), 0);
  EXPECT_LT(CompareDecimalToDouble(Dec(1, 0, true), 0.5), 0);
  EXPECT_LT(CompareDecimalToInt64(Dec(Pow10(33), -33), 2), 0);
}

TEST(Decimal128, NaNFirstAndInfinitiesAtTheEnds) {
  const Decimal128Parts nan = Special(0x7C00000000000000ULL), inf = Special(0x7800000000000000ULL),
                        minus_inf = Special(0xF800000000000000ULL);
  EXPECT_EQ(CompareDecimalToDouble(nan, std::nan("")), 0);
  EXPECT_LT(CompareDecimalToDouble(nan, -HUGE_VAL), 0);
  EXPECT_LT(CompareDecimalToInt64(nan, std::numeric_limits<int64_t>::min()), 0);
  EXPECT_EQ(CompareDecimalToDouble(inf, HUGE_VAL), 0);
  EXPECT_GT(CompareDecimalToDouble(inf, std::numeric_limits<double>::max()), 0);
  EXPECT_LT(CompareDecimals(minus_inf, Dec(Pow10(33) * 9, 6111, true)), 0);
  EXPECT_GT(CompareDecimalToDouble(Dec(1, 0), std::nan("")), 0);
}

TEST(Decimal128, HashFoldsToTheNearestInt64TiesToEven) {
  EXPECT_EQ(DecimalToInt64ForHash(Dec(25, -1)), 2);
  EXPECT_EQ(DecimalToInt64ForHash(Dec(35, -1)), 4);
  EXPECT_EQ(DecimalToInt64ForHash(Dec(25, -1, true)), -2);
  EXPECT_EQ(DecimalToInt64ForHash(Dec(2600001, -6)), 3);
  EXPECT_EQ(DecimalToInt64ForHash(Dec(4, -1)), 0);
  EXPECT_EQ(DecimalToInt64ForHash(Dec(1, -40)), 0);
  EXPECT_EQ(DecimalToInt64ForHash(Dec(7, 3)), 7000);
  EXPECT_EQ(DecimalToInt64ForHash(Dec(1, 20)), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(DecimalToInt64ForHash(Dec(1, 20, true)), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(DecimalToInt64ForHash(Dec(U128{1} << 63, 0)), std::numeric_limits<int64_t>::max());  // 2^63 clamps
  EXPECT_EQ(DecimalToInt64ForHash(Special(0x7C00000000000000ULL)), 0);
}

}  // namespace
}  // namespace aviary
