// Tests of the public plugin API headers (include/aviary/): exact overloads for every arithmetic
// type, and DocumentView walking every BSON type.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "aviary/aviary.h"

namespace aviary {
namespace {

// --- compile-time: which calls exist. A narrowing call must not compile.
template <class T>
concept CanEmitString = requires(MapContext& ctx, T v) { ctx.Emit("key", v); };
template <class T>
concept CanEmitView = requires(MapContext& ctx, ValueView key, T v) { ctx.Emit(key, v); };
template <class T>
concept CanAppend = requires(DocumentBuilder& b, T v) { b.Append("n", v); };
template <class T>
concept CanPush = requires(ArrayBuilder& b, T v) { b.Push(v); };
template <class T>
concept CanInt64 = requires(T v) { Value::Int64(v); };
template <class T>
concept CanDouble = requires(T v) { Value::Double(v); };
template <class T>
concept CanBool = requires(T v) { Value::Bool(v); };
template <class T>
concept CanViewInt64 = requires(const T& v) { ValueView::Int64(v); };

template <class T>
concept CanCount = requires(MapContext& ctx, T v) { ctx.Count("c", v); };
static_assert(CanCount<int> && CanCount<int64_t> && CanCount<uint32_t> && !CanCount<double> && !CanCount<float> &&
              !CanCount<uint64_t> && !CanCount<bool>);

template <class T>
constexpr bool kAllAccept = CanEmitString<T> && CanEmitView<T> && CanAppend<T> && CanPush<T>;
template <class T>
constexpr bool kNoneAccept = !CanEmitString<T> && !CanEmitView<T> && !CanAppend<T> && !CanPush<T>;

static_assert(kAllAccept<bool> && kAllAccept<int> && kAllAccept<long> && kAllAccept<long long> &&
              kAllAccept<short> && kAllAccept<signed char> && kAllAccept<unsigned char> &&
              kAllAccept<unsigned short> && kAllAccept<unsigned> && kAllAccept<float> && kAllAccept<double> &&
              kAllAccept<int8_t> && kAllAccept<int16_t> && kAllAccept<int32_t> && kAllAccept<int64_t> &&
              kAllAccept<uint8_t> && kAllAccept<uint16_t> && kAllAccept<uint32_t>);
// Not every value of these fits the BSON type they would become.
static_assert(kNoneAccept<unsigned long> && kNoneAccept<unsigned long long> && kNoneAccept<uint64_t> &&
              kNoneAccept<long double> && kNoneAccept<char> && kNoneAccept<wchar_t> && kNoneAccept<char16_t>);
// Strings still go to the string overloads, never to bool (const char* -> bool is a standard
// conversion that an overload set of scalars would otherwise pick).
static_assert(CanEmitString<ValueView> && CanAppend<std::string_view> && CanAppend<const char*> &&
              CanAppend<std::string> && CanPush<const char*> && CanAppend<Value>);
static_assert(CanInt64<int> && CanInt64<int64_t> && CanInt64<uint32_t> && !CanInt64<double> &&
              !CanInt64<uint64_t> && !CanInt64<bool> && !CanInt64<float>);
static_assert(CanDouble<double> && CanDouble<float> && CanDouble<int> && !CanDouble<int64_t> &&
              !CanDouble<long double> && !CanDouble<bool>);
static_assert(CanBool<bool> && !CanBool<int> && !CanBool<const char*>);
// A view of a converted temporary would dangle.
static_assert(CanViewInt64<int64_t> && !CanViewInt64<int> && !CanViewInt64<double>);

// --- runtime: the emitted type and value are exact.
class RecordingContext : public MapContext {
 public:
  void Emit(ValueView key, ValueView value) override { pairs.emplace_back(Value(key), Value(value)); }
  using MapContext::Emit;
  void Count(std::string_view, int64_t) override {}
  std::vector<std::pair<Value, Value>> pairs;
};

TEST(PluginApiTest, EmitKeepsTheExactTypeAndValue) {
  RecordingContext ctx;
  MapContext& base = ctx;
  const double amount = 1234.56;
  base.Emit("total", amount);
  base.Emit("count", 1);
  base.Emit("flag", true);
  base.Emit("small", 2.5f);
  base.Emit("big", uint32_t{4000000000u});
  base.Emit(ValueView::String("k"), int64_t{-7});
  ASSERT_EQ(ctx.pairs.size(), 6u);
  EXPECT_EQ(ctx.pairs[0].first.view().as_string(), "total");
  EXPECT_EQ(ctx.pairs[0].second.view().type(), Type::kDouble);
  EXPECT_EQ(ctx.pairs[0].second.view().as_double(), amount);
  EXPECT_EQ(ctx.pairs[1].second.view().type(), Type::kInt64);
  EXPECT_EQ(ctx.pairs[1].second.view().as_int(), 1);
  EXPECT_EQ(ctx.pairs[2].second.view().type(), Type::kBool);
  EXPECT_TRUE(ctx.pairs[2].second.view().as_bool());
  EXPECT_EQ(ctx.pairs[3].second.view().type(), Type::kDouble);
  EXPECT_EQ(ctx.pairs[3].second.view().as_double(), 2.5);
  EXPECT_EQ(ctx.pairs[4].second.view().as_int(), 4000000000);
  EXPECT_EQ(ctx.pairs[5].second.view().as_int(), -7);
}

TEST(PluginApiTest, BuildersAppendEveryScalarExactly) {
  const Value doc = DocumentBuilder()
                        .Append("n", 1)
                        .Append("b", true)
                        .Append("d", 0.1)
                        .Append("s", "text")
                        .Append("u", static_cast<unsigned short>(65535))
                        .Finish();
  const DocumentView view = doc.view().as_document();
  EXPECT_EQ(view.Get("n")->type(), Type::kInt64);
  EXPECT_EQ(view.Get("n")->as_int(), 1);
  EXPECT_EQ(view.Get("b")->type(), Type::kBool);
  EXPECT_TRUE(view.Get("b")->as_bool());
  EXPECT_EQ(view.Get("d")->as_double(), 0.1);
  EXPECT_EQ(view.Get("s")->as_string(), "text");
  EXPECT_EQ(view.Get("u")->as_int(), 65535);
  const Value array = ArrayBuilder().Push(false).Push(3).Push("x").Finish();
  const DocumentView items = array.view().as_document();
  EXPECT_EQ(items.Get("0")->type(), Type::kBool);
  EXPECT_EQ(items.Get("1")->as_int(), 3);
  EXPECT_EQ(items.Get("2")->as_string(), "x");
}

TEST(PluginApiTest, AsIntOfAnOutOfRangeDoubleSaturates) {
  for (auto [d, want] : std::vector<std::pair<double, int64_t>>{
           {1e300, INT64_MAX}, {-1e300, INT64_MIN}, {NAN, 0}, {-2.9, -2}, {9.2e18, 9200000000000000000}}) {
    EXPECT_EQ(ValueView::Double(d).as_int(), want) << d;
  }
}

// --- DocumentView walks past every BSON type.

// {name: <payload of type>} appended raw.
void AppendRaw(std::string* doc, uint8_t type, std::string_view name, std::string_view payload) {
  doc->push_back(static_cast<char>(type));
  doc->append(name);
  doc->push_back('\0');
  doc->append(payload);
}
std::string Int32Bytes(int32_t n) { return std::string(reinterpret_cast<const char*>(&n), 4); }
std::string BsonString(std::string_view s) {
  return Int32Bytes(static_cast<int32_t>(s.size() + 1)) + std::string(s) + std::string(1, '\0');
}
std::string Finish(std::string body) {
  const std::string out = Int32Bytes(static_cast<int32_t>(body.size() + 5)) + body + std::string(1, '\0');
  return out;
}

// One field of every type, then the field a job reads.
std::string EveryTypeDocument() {
  std::string body;
  const std::string empty_doc = Finish("");
  AppendRaw(&body, 0x0B, "regex", std::string("^a.*\0i\0", 7));
  AppendRaw(&body, 0x0D, "code", BsonString("function() {}"));
  const std::string code = BsonString("x + 1");
  AppendRaw(&body, 0x0F, "codews", Int32Bytes(static_cast<int32_t>(4 + code.size() + empty_doc.size())) + code + empty_doc);
  AppendRaw(&body, 0x0C, "dbptr", BsonString("db.coll") + std::string(12, '\x01'));
  AppendRaw(&body, 0x11, "ts", std::string(8, '\x02'));
  AppendRaw(&body, 0x13, "dec", std::string(16, '\x03'));
  AppendRaw(&body, 0xFF, "min", "");
  AppendRaw(&body, 0x7F, "max", "");
  AppendRaw(&body, 0x0E, "sym", BsonString("symbol"));
  AppendRaw(&body, 0x06, "undef", "");
  AppendRaw(&body, 0x05, "bin", Int32Bytes(2) + std::string("\x00" "ab", 3));
  AppendRaw(&body, 0x03, "sub", Finish(std::string("\x0B" "r\0p\0\0", 6) + std::string("\x02" "k\0", 3) + BsonString("deep")));
  AppendRaw(&body, 0x02, "key", BsonString("found"));
  return Finish(body);
}

TEST(PluginApiTest, DocumentViewWalksPastEveryBsonType) {
  const std::string bson = EveryTypeDocument();
  const DocumentView doc(bson.data(), bson.size());
  std::vector<std::string> names;
  for (const DocumentView::Field& f : doc) names.emplace_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"regex", "code", "codews", "dbptr", "ts", "dec", "min", "max", "sym",
                                             "undef", "bin", "sub", "key"}));
  ASSERT_TRUE(doc.Get("key").has_value());
  EXPECT_EQ(doc.Get("key")->as_string(), "found");
  ASSERT_TRUE(doc.GetPath("sub.k").has_value());
  EXPECT_EQ(doc.GetPath("sub.k")->as_string(), "deep");
  EXPECT_EQ(doc.Get("regex")->type(), Type::kRegex);
  EXPECT_EQ(doc.Get("regex")->size(), 7u);
  EXPECT_EQ(doc.Get("dec")->size(), 16u);
  EXPECT_EQ(doc.Get("min")->type(), Type::kMinKey);
  EXPECT_STREQ(TypeName(Type::kCodeWithScope), "javascriptWithScope");
}

TEST(PluginApiTest, DocumentViewStopsAtTruncatedRegex) {
  std::string body;
  AppendRaw(&body, 0x0B, "r", std::string("abc", 3));  // no NUL: runs to the end
  const std::string bson = Finish(body);
  const DocumentView doc(bson.data(), bson.size());
  EXPECT_EQ(doc.begin(), doc.end());
}

}  // namespace
}  // namespace aviary
