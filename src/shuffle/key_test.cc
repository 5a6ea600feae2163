#include "shuffle/key.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "shuffle/hash.h"
#include "shuffle/sum.h"

namespace aviary::shuffle {
namespace {

std::string Encode(ValueView v) {
  std::string out(1 + std::max<size_t>(v.size(), 8), '\0');
  out.resize(EncodeKey(v, out.data()));
  return out;
}
std::string Str(std::string_view s) { return Encode(ValueView::String(s)); }
std::string Int(int64_t v) { return Encode(ValueView::Int64(v)); }
std::string Dbl(double v) { return Encode(ValueView::Double(v)); }

TEST(KeyTest, Int32KeyIsEncodedAsInt64) {
  const int32_t five32 = 5;
  const ValueView int32_key(Type::kInt32, reinterpret_cast<const char*>(&five32), 4);
  EXPECT_EQ(Encode(int32_key), Int(5));
  EXPECT_EQ(DecodeValue(Encode(int32_key)).as_int(), 5);
  EXPECT_EQ(HashKey(Encode(int32_key)), HashKey(Int(5)));
}

TEST(KeyTest, HashOfViewEqualsHashOfEncoding) {
  EXPECT_EQ(HashKey(ValueView::String("word")), HashKey(Str("word")));
  EXPECT_EQ(HashKey(ValueView::Int64(int64_t{5})), HashKey(Int(5)));
  EXPECT_NE(HashKey(Str("")), HashKey(Encode(ValueView::Null())));  // the type takes part
}

// Partitions must agree across processes, machines and releases: a golden value.
TEST(KeyTest, DefaultPartitionIsStable) {
  EXPECT_EQ(HashKey(Str("aviary")), 0xb75481fef2ab6363u);
  EXPECT_EQ(DefaultPartition(HashKey(Str("aviary")), 7), 5u);
}

TEST(KeyTest, OrderIsByTypeThenValue) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::string> expected = {
      Dbl(-inf), Dbl(-1.5), Dbl(-0.0), Dbl(0.0), Dbl(2), Dbl(inf), Dbl(std::nan("")),
      Str(""), Str("a"), Str("a\0"), Str("ab"), Str("b"), Str("\xff"),
      Int(std::numeric_limits<int64_t>::min()), Int(-5), Int(0), Int(3), Int(int64_t{1} << 40)};
  std::vector<std::string> keys = expected;
  std::mt19937 rng(7);
  std::shuffle(keys.begin(), keys.end(), rng);
  std::sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) { return CompareKeys(a, b) < 0; });
  EXPECT_EQ(keys, expected);
}

TEST(KeyTest, EqualOrderMeansEqualBytes) {
  EXPECT_EQ(CompareKeys(Int(7), Int(7)), 0);
  EXPECT_NE(CompareKeys(Dbl(0.0), Dbl(-0.0)), 0);
  EXPECT_EQ(CompareKeys(Str("x"), Str("x")), 0);
}

TEST(KeyTest, PrefixAgreesWithCompare) {
  std::mt19937_64 rng(42);
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) {
    std::string s(rng() % 12, '\0');
    for (char& c : s) c = static_cast<char>("ab\0\xff"[rng() % 4]);
    keys.push_back(Str(s));
    keys.push_back(Int(static_cast<int64_t>(rng())));
    keys.push_back(Dbl(static_cast<double>(static_cast<int64_t>(rng())) / 1e9));
  }
  for (const std::string& a : keys) {
    for (const std::string& b : keys) {
      if (a[0] != b[0]) continue;
      if (KeyPrefix(a) < KeyPrefix(b)) {
        ASSERT_LT(CompareKeys(a, b), 0);
      }
      if (a[0] != static_cast<char>(Type::kString) && KeyPrefix(a) == KeyPrefix(b)) {
        ASSERT_EQ(a, b);
      }
    }
  }
}

TEST(KeyTest, DescribeKey) {
  EXPECT_EQ(DescribeKey(Str("word")), "\"word\"");
  EXPECT_EQ(DescribeKey(Int(-3)), "-3");
  EXPECT_EQ(DescribeKey(Dbl(2.5)), "2.5");
  EXPECT_NE(DescribeKey(Str(std::string(500, 'x'))).find("(500 bytes)"), std::string::npos);
}

TEST(KeyTest, MalformedFixedSizeViewsAreRejected) {
  const int32_t small = 1;
  EXPECT_FALSE(HasValidSize(ValueView(Type::kInt64, reinterpret_cast<const char*>(&small), 4)));
  EXPECT_FALSE(HasValidSize(ValueView(static_cast<Type>(0x42), nullptr, 0)));
  EXPECT_TRUE(HasValidSize(ValueView::Int64(int64_t{1})));
  EXPECT_TRUE(HasValidSize(ValueView::String("")));
}

TEST(SumTest, IntegersStayExactThenDoubleTakesOver) {
  Sum sum;
  sum.Clear();
  EXPECT_TRUE(sum.Add(ValueView::Int64(int64_t{2})));
  const int32_t three = 3;
  EXPECT_TRUE(sum.Add(ValueView(Type::kInt32, reinterpret_cast<const char*>(&three), 4)));
  char out[Sum::kEncodedSize];
  sum.EncodeTo(out);
  EXPECT_EQ(DecodeValue({out, sizeof out}).type(), Type::kInt64);
  EXPECT_EQ(DecodeValue({out, sizeof out}).as_int(), 5);
  EXPECT_TRUE(sum.Add(ValueView::Double(0.5)));
  sum.EncodeTo(out);
  EXPECT_EQ(DecodeValue({out, sizeof out}).as_double(), 5.5);
  EXPECT_FALSE(sum.Add(ValueView::String("x")));
}

TEST(SumTest, Int64OverflowSwitchesToDouble) {
  Sum sum;
  sum.Clear();
  EXPECT_TRUE(sum.Add(ValueView::Int64(std::numeric_limits<int64_t>::max())));
  EXPECT_TRUE(sum.Add(ValueView::Int64(int64_t{10})));
  char out[Sum::kEncodedSize];
  sum.EncodeTo(out);
  EXPECT_EQ(DecodeValue({out, sizeof out}).type(), Type::kDouble);
  EXPECT_GT(DecodeValue({out, sizeof out}).as_double(), 9.2e18);
}

}  // namespace
}  // namespace aviary::shuffle
