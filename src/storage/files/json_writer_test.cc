#include "storage/files/json_writer.h"

#include <bson/bson.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace aviary {
namespace {

std::string Json(ValueView v) {
  std::string out;
  AppendJson(v, &out);
  return out;
}

ValueView Raw(Type type, const std::string& bytes) { return ValueView(type, bytes.data(), bytes.size()); }

std::string Le64(int64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }

TEST(JsonWriterTest, Scalars) {
  EXPECT_EQ(Json(ValueView::Null()), "null");
  const bool t = true, f = false;
  EXPECT_EQ(Json(ValueView::Bool(t)), "true");
  EXPECT_EQ(Json(ValueView::Bool(f)), "false");
  const int64_t big = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(Json(ValueView::Int64(big)), "-9223372036854775808");
  const int32_t i32 = -42;
  EXPECT_EQ(Json(ValueView(Type::kInt32, reinterpret_cast<const char*>(&i32), 4)), "-42");
}

TEST(JsonWriterTest, DoublesStayDoubles) {
  auto d = [](double v) { return Json(ValueView::Double(v)); };
  EXPECT_EQ(d(1.0), "1.0");
  EXPECT_EQ(d(-0.0), "-0.0");
  EXPECT_EQ(d(0.1), "0.1");
  EXPECT_EQ(d(1e100), "1e+100");
  EXPECT_EQ(d(123456789.0), "123456789.0");
  EXPECT_EQ(d(std::numeric_limits<double>::quiet_NaN()), "{\"$numberDouble\": \"NaN\"}");
  EXPECT_EQ(d(std::numeric_limits<double>::infinity()), "{\"$numberDouble\": \"Infinity\"}");
  EXPECT_EQ(d(-std::numeric_limits<double>::infinity()), "{\"$numberDouble\": \"-Infinity\"}");
}

TEST(JsonWriterTest, DoublesRoundTrip) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) continue;
    const std::string s = Json(ValueView::Double(v));
    EXPECT_EQ(std::strtod(s.c_str(), nullptr), v) << s;
  }
}

TEST(JsonWriterTest, StringsAreEscaped) {
  auto s = [](std::string_view v) { return Json(ValueView::String(v)); };
  EXPECT_EQ(s(""), "\"\"");
  EXPECT_EQ(s("plain"), "\"plain\"");
  EXPECT_EQ(s("q\"b\\"), "\"q\\\"b\\\\\"");
  EXPECT_EQ(s("a\nb\tc\r\b\f"), "\"a\\nb\\tc\\r\\b\\f\"");
  EXPECT_EQ(s(std::string_view("\x00\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\"");
  EXPECT_EQ(s("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa6"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa6\"");  // kept
  EXPECT_EQ(s("bad \xff end"), "\"bad \\ufffd end\"");
  EXPECT_EQ(s("trunc \xe2\x82"), "\"trunc \\ufffd\\ufffd\"");
  EXPECT_EQ(s("overlong \xc0\xaf"), "\"overlong \\ufffd\\ufffd\"");
  EXPECT_EQ(s("surrogate \xed\xa0\x80"), "\"surrogate \\ufffd\\ufffd\\ufffd\"");
}

TEST(JsonWriterTest, DocumentsAndArrays) {
  const Value inner = ArrayBuilder().Push(ValueView::String("x")).Push(Value::Int64(2)).Finish();
  const Value doc = DocumentBuilder()
                        .Append("a", int64_t{1})
                        .Append("s", std::string_view("t"))
                        .Append("list", inner)
                        .Append("empty", DocumentBuilder().Finish())
                        .Append("we\"ird", ValueView::Null())
                        .Finish();
  EXPECT_EQ(Json(doc), "{\"a\": 1, \"s\": \"t\", \"list\": [\"x\", 2], \"empty\": {}, \"we\\\"ird\": null}");
  EXPECT_EQ(Json(ArrayBuilder().Finish()), "[]");
}

TEST(JsonWriterTest, ObjectIdDateTimestampBinary) {
  EXPECT_EQ(Json(Raw(Type::kObjectId, "\x50\x7f\x1f\x77\xbc\xf8\x6c\xd7\x99\x43\x90\x11")),
            "{\"$oid\": \"507f1f77bcf86cd799439011\"}");
  EXPECT_EQ(Json(Raw(Type::kDateTime, Le64(0))), "{\"$date\": \"1970-01-01T00:00:00Z\"}");
  EXPECT_EQ(Json(Raw(Type::kDateTime, Le64(1356351330501))), "{\"$date\": \"2012-12-24T12:15:30.501Z\"}");
  EXPECT_EQ(Json(Raw(Type::kDateTime, Le64(951782400000))), "{\"$date\": \"2000-02-29T00:00:00Z\"}");
  EXPECT_EQ(Json(Raw(Type::kDateTime, Le64(253402300799999))), "{\"$date\": \"9999-12-31T23:59:59.999Z\"}");
  EXPECT_EQ(Json(Raw(Type::kDateTime, Le64(-1))), "{\"$date\": {\"$numberLong\": \"-1\"}}");
  EXPECT_EQ(Json(Raw(Type::kDateTime, Le64(253402300800000))),
            "{\"$date\": {\"$numberLong\": \"253402300800000\"}}");
  EXPECT_EQ(Json(Raw(Type::kTimestamp, Le64((int64_t{123} << 32) | 456))),
            "{\"$timestamp\": {\"t\": 123, \"i\": 456}}");
  EXPECT_EQ(Json(Raw(Type::kBinary, std::string("\x05\x00\x00\x00\x80hello", 10))),
            "{\"$binary\": {\"base64\": \"aGVsbG8=\", \"subType\": \"80\"}}");
  EXPECT_EQ(Json(Raw(Type::kBinary, std::string("\x00\x00\x00\x00\x00", 5))),
            "{\"$binary\": {\"base64\": \"\", \"subType\": \"00\"}}");
}

TEST(JsonWriterTest, ResultLine) {
  std::string out = "prefix\n";
  const int64_t three = 3;
  AppendResultLine(ValueView::String("word"), ValueView::Int64(three), &out);
  EXPECT_EQ(out, "prefix\n{\"_id\": \"word\", \"value\": 3}\n");
}

// A count line takes a shortcut when its key needs no escaping; every line must read exactly as
// the key and value encoded one by one, whichever way it went.
TEST(JsonWriterTest, ResultLineIsTheKeyAndValueEncodedAlone) {
  const int64_t big = INT64_MIN, zero = 0, one = 1;
  const int32_t small = std::numeric_limits<int32_t>::min();
  const std::string small_bytes(reinterpret_cast<const char*>(&small), 4);
  const double half = 0.5;
  const std::vector<ValueView> values = {ValueView::Int64(big), ValueView::Int64(zero), Raw(Type::kInt32, small_bytes),
                                         ValueView::Double(half), ValueView::Int64(one)};
  const std::vector<std::string> keys = {"", "word", std::string(64, 'a'), std::string(65, 'b'), "say \"hi\"",
                                         "tab\there", "caf\xc3\xa9", "bad\xff", std::string("nul\0x", 5)};
  for (const std::string& k : keys) {
    for (ValueView v : values) {
      std::string line = "x";
      AppendResultLine(ValueView::String(k), v, &line);
      EXPECT_EQ(line, "x{\"_id\": " + Json(ValueView::String(k)) + ", \"value\": " + Json(v) + "}\n");
    }
  }
  std::string line;
  AppendResultLine(ValueView::Int64(one), ValueView::Int64(one), &line);  // not a string key
  EXPECT_EQ(line, "{\"_id\": 1, \"value\": 1}\n");
}

// What we write, libbson reads back as the same BSON (for types whose relaxed form is exact).
TEST(JsonWriterTest, LibbsonReadsBackTheSameDocument) {
  bson_t* doc = BCON_NEW("s", BCON_UTF8("h\xc3\xa9\n\"\x01"), "i", BCON_INT32(-7), "d", BCON_DOUBLE(2.5),
                         "whole", BCON_DOUBLE(3.0), "b", BCON_BOOL(true), "n", BCON_NULL,
                         "dt", BCON_DATE_TIME(1356351330501), "old", BCON_DATE_TIME(-5), "ts", BCON_TIMESTAMP(9, 8),
                         "nested", "{", "arr", "[", BCON_INT32(1), "{", "x", BCON_UTF8("y"), "}", "]", "}");
  bson_oid_t oid;
  bson_oid_init_from_string(&oid, "507f1f77bcf86cd799439011");
  BSON_APPEND_OID(doc, "oid", &oid);
  const uint8_t bin[] = {0, 1, 2, 250, 251};
  BSON_APPEND_BINARY(doc, "bin", BSON_SUBTYPE_USER, bin, sizeof bin);

  const std::string json = Json(Value::FromBson(Type::kDocument, std::string(reinterpret_cast<const char*>(bson_get_data(doc)), doc->len)));
  bson_t back;
  bson_error_t error;
  ASSERT_TRUE(bson_init_from_json(&back, json.data(), static_cast<ssize_t>(json.size()), &error)) << error.message << "\n" << json;
  EXPECT_TRUE(bson_equal(doc, &back)) << json;
  bson_destroy(&back);
  bson_destroy(doc);
}

}  // namespace
}  // namespace aviary

namespace aviary {
namespace {

// Types only input documents hold: MongoDB's Extended JSON, and no field after them is lost.
TEST(JsonWriterTest, EveryOtherBsonTypeAsExtendedJson) {
  EXPECT_EQ(Json(Raw(Type::kRegex, std::string("^a\0i\0", 5))),
            R"({ "$regularExpression" : { "pattern" : "^a", "options" : "i" } })");
  EXPECT_EQ(Json(Raw(Type::kCode, std::string("\x03\0\0\0f(\0", 7))), R"({ "$code" : "f(" })");
  EXPECT_EQ(Json(Raw(Type::kMinKey, "")), R"({ "$minKey" : 1 })");
  EXPECT_EQ(Json(Raw(Type::kMaxKey, "")), R"({ "$maxKey" : 1 })");
  EXPECT_EQ(Json(Raw(Type::kUndefined, "")), "null");
  bson_decimal128_t dec;
  ASSERT_TRUE(bson_decimal128_from_string("1.10", &dec));
  std::string dec_bytes(16, '\0');
  std::memcpy(dec_bytes.data(), &dec.low, 8);
  std::memcpy(dec_bytes.data() + 8, &dec.high, 8);
  EXPECT_EQ(Json(Raw(Type::kDecimal128, dec_bytes)), R"({ "$numberDecimal" : "1.10" })");
  // A regex before the key field hides nothing.
  std::string doc = std::string("\0\0\0\0", 4) + std::string("\x0Br\0x\0\0", 6) + std::string("\x02k\0\x02\0\0\0v\0", 9) + '\0';
  const auto n = static_cast<int32_t>(doc.size());
  std::memcpy(doc.data(), &n, 4);
  EXPECT_EQ(Json(Raw(Type::kDocument, doc)), R"({"r": { "$regularExpression" : { "pattern" : "x", "options" : "" } }, "k": "v"})");
  EXPECT_EQ(Json(Raw(Type::kRegex, std::string("unterminated", 12))), "null");
}

}  // namespace
}  // namespace aviary
