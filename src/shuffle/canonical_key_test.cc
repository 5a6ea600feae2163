#include "shuffle/canonical_key.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "shuffle/hash.h"
#include "shuffle/key.h"

namespace aviary::shuffle {
namespace {

// The encoded canonical key: what the shuffle compares, hashes and writes.
std::string Canon(ValueView key) {
  std::string scratch;
  const ValueView c = CanonicalKey(key, &scratch);
  EXPECT_EQ(IsCanonicalKey(key), c.data() == key.data() && c.type() == key.type());
  std::string encoded(EncodedKeySize(c), '\0');
  encoded.resize(EncodeKey(c, encoded.data()));
  std::string again;
  EXPECT_TRUE(IsCanonicalKey(c)) << "a canonical form is its own canonical form";
  return encoded;
}

std::string Raw(Type t, const void* p, size_t n) { return Canon(ValueView(t, static_cast<const char*>(p), n)); }
std::string I32(int32_t v) { return Raw(Type::kInt32, &v, 4); }
std::string I64(int64_t v) { return Raw(Type::kInt64, &v, 8); }
std::string F64(double v) { return Raw(Type::kDouble, &v, 8); }
std::string Null() { return Canon(ValueView()); }
std::string Undefined() { return Canon(ValueView(Type::kUndefined, nullptr, 0)); }

// A decimal128 from its coefficient, unbiased exponent and sign (BID, coefficient < 2^113).
std::string Dec(unsigned __int128 coefficient, int exponent, bool negative = false) {
  const uint64_t hi = (negative ? uint64_t{1} << 63 : 0) | (static_cast<uint64_t>(exponent + 6176) << 49) |
                      static_cast<uint64_t>(coefficient >> 64);
  const auto lo = static_cast<uint64_t>(coefficient);
  char bytes[16];
  std::memcpy(bytes, &lo, 8);
  std::memcpy(bytes + 8, &hi, 8);
  return Raw(Type::kDecimal128, bytes, 16);
}

TEST(CanonicalKeyTest, NumbersOfEveryTypeAreEqualByValue) {
  EXPECT_EQ(I32(3), I64(3));
  EXPECT_EQ(F64(3.0), I64(3));
  EXPECT_EQ(Dec(300, -2), I64(3));  // NumberDecimal("3.00")
  EXPECT_EQ(Dec(3, 0), I64(3));
  EXPECT_EQ(F64(-0.0), I64(0));
  EXPECT_EQ(F64(0.0), F64(-0.0));
  EXPECT_EQ(Dec(0, 5, true), I64(0));
  EXPECT_EQ(Dec(25, -1), F64(2.5));
  EXPECT_EQ(F64(-2.5), Dec(25, -1, true));
  EXPECT_EQ(F64(9007199254740992.0), I64(9007199254740992));  // 2^53
  EXPECT_EQ(F64(-9223372036854775808.0), I64(std::numeric_limits<int64_t>::min()));
  EXPECT_NE(I64(3), I64(4));
  EXPECT_NE(F64(2.5), F64(3.5));
  EXPECT_NE(F64(0.5), I64(0));
}

TEST(CanonicalKeyTest, LargeInt64StaysExact) {
  // 2^53 + 1 has no double; the nearest doubles are 2^53 and 2^53 + 2.
  EXPECT_NE(I64(9007199254740993), F64(9007199254740992.0));
  EXPECT_NE(I64(9007199254740993), I64(9007199254740992));
  EXPECT_EQ(I64(std::numeric_limits<int64_t>::max()), Dec(std::numeric_limits<int64_t>::max(), 0));
  // 2^63 is beyond int64: a double key.
  EXPECT_EQ(DecodeValue(F64(9223372036854775808.0)).type(), Type::kDouble);
  EXPECT_NE(F64(9223372036854775808.0), I64(std::numeric_limits<int64_t>::max()));
}

TEST(CanonicalKeyTest, AllNaNsAreOneKeyAndInfinitiesStayApart) {
  const double quiet = std::numeric_limits<double>::quiet_NaN();
  uint64_t bits = 0x7FF0000000000001ULL;  // a signalling NaN payload
  double other;
  std::memcpy(&other, &bits, 8);
  EXPECT_EQ(F64(quiet), F64(other));
  EXPECT_EQ(F64(-quiet), F64(quiet));
  char dec_nan[16] = {};
  dec_nan[15] = 0x7C;
  EXPECT_EQ(Raw(Type::kDecimal128, dec_nan, 16), F64(quiet));
  EXPECT_NE(F64(HUGE_VAL), F64(-HUGE_VAL));
  EXPECT_NE(F64(HUGE_VAL), F64(quiet));
  char dec_inf[16] = {};
  dec_inf[15] = 0x78;
  EXPECT_EQ(Raw(Type::kDecimal128, dec_inf, 16), F64(HUGE_VAL));
}

TEST(CanonicalKeyTest, DecimalsWithoutADoubleKeepTheirValueWithoutTrailingZeros) {
  EXPECT_EQ(Dec(110, -2), Dec(11, -1));             // 1.10 == 1.1
  EXPECT_NE(Dec(11, -1), F64(1.1));                 // no double is exactly 1.1
  EXPECT_EQ(DecodeValue(Dec(11, -1)).type(), Type::kDecimal128);
  EXPECT_NE(Dec(11, -1), Dec(11, -1, true));
}

TEST(CanonicalKeyTest, NullAndUndefinedAreOneKey) {
  EXPECT_EQ(Undefined(), Null());
  EXPECT_NE(Null(), I64(0));
}

TEST(CanonicalKeyTest, SymbolIsTheString) {
  const std::string payload = std::string("\x04\0\0\0abc\0", 8);
  EXPECT_EQ(Raw(Type::kSymbol, payload.data(), payload.size()), Canon(ValueView::String("abc")));
}

TEST(CanonicalKeyTest, StringsAreTheirOwnFormAndUnchanged) {
  std::string scratch;
  const std::string word = "word";
  const ValueView c = CanonicalKey(ValueView::String(word), &scratch);
  EXPECT_EQ(c.data(), word.data());
  EXPECT_TRUE(scratch.empty());
  EXPECT_NE(Canon(ValueView::String("3")), I64(3));
}

TEST(CanonicalKeyTest, NestedNumbersInDocumentsAndArrays) {
  const Value int_doc = DocumentBuilder().Append("a", 1).Append("b", "x").Finish();
  const Value double_doc = DocumentBuilder().Append("a", 1.0).Append("b", "x").Finish();
  const int32_t one32 = 1;
  const Value int32_doc = DocumentBuilder()
                              .Append("a", ValueView(Type::kInt32, reinterpret_cast<const char*>(&one32), 4))
                              .Append("b", "x")
                              .Finish();
  EXPECT_EQ(Canon(int_doc), Canon(double_doc));
  EXPECT_EQ(Canon(int32_doc), Canon(double_doc));
  EXPECT_TRUE(IsCanonicalKey(int_doc));
  // Field names and order still count, as in MongoDB.
  EXPECT_NE(Canon(DocumentBuilder().Append("b", "x").Append("a", 1).Finish()), Canon(int_doc));
  EXPECT_NE(Canon(DocumentBuilder().Append("c", 1).Append("b", "x").Finish()), Canon(int_doc));
  // Deeper: {k: [1.0, {n: -0.0}, undefined]} == {k: [1, {n: 0}, null]}.
  const Value deep_double =
      DocumentBuilder()
          .Append("k", ArrayBuilder()
                           .Push(1.0)
                           .Push(DocumentBuilder().Append("n", -0.0).Finish())
                           .Push(ValueView(Type::kUndefined, nullptr, 0))
                           .Finish())
          .Finish();
  const Value deep_int = DocumentBuilder()
                             .Append("k", ArrayBuilder()
                                              .Push(1)
                                              .Push(DocumentBuilder().Append("n", 0).Finish())
                                              .Push(ValueView())
                                              .Finish())
                             .Finish();
  EXPECT_EQ(Canon(deep_double), Canon(deep_int));
  EXPECT_NE(Canon(ArrayBuilder().Push(1).Push(2).Finish()), Canon(ArrayBuilder().Push(2).Push(1).Finish()));
  EXPECT_NE(Canon(ArrayBuilder().Push(1).Finish()), I64(1));
}

TEST(CanonicalKeyTest, EqualKeysHashToOnePartition) {
  const std::vector<std::string> equal = {I32(7), I64(7), F64(7.0), Dec(70, -1)};
  for (const std::string& k : equal) EXPECT_EQ(HashKey(k), HashKey(equal[0]));
  EXPECT_EQ(CompareKeys(F64(-0.0), I64(0)), 0);
}

TEST(CanonicalKeyTest, OtherTypesAreKeptAsTheyAre) {
  const std::string regex("a\0i\0", 4);
  std::string scratch;
  const ValueView r(Type::kRegex, regex.data(), regex.size());
  EXPECT_EQ(CanonicalKey(r, &scratch).data(), regex.data());
  const int64_t ms = 5;
  EXPECT_NE(Raw(Type::kDateTime, &ms, 8), I64(5));  // a date is not a number
  EXPECT_EQ(DecodeValue(Raw(Type::kDateTime, &ms, 8)).type(), Type::kDateTime);
  const bool t = true;
  EXPECT_NE(Canon(ValueView::Bool(t)), I64(1));
}

}  // namespace
}  // namespace aviary::shuffle
