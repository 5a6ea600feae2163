// BSON <-> JavaScript conversion: every type round-trips as MongoDB converts it, documents are
// converted lazily, and what cannot be stored raises a clear error.
#include <bson/bson.h>
#include <gtest/gtest.h>
#include <js/CallAndConstruct.h>
#include <js/GCAPI.h>
#include <js/PropertyAndElement.h>
#include <js/String.h>

#include "js/bson.h"
#include "js/from_bson.h"
#include "js/runtime.h"
#include "js/to_bson.h"
#include "js/utf8.h"

namespace aviary::js {
namespace {

std::string Bytes(const bson_t* b) { return std::string(reinterpret_cast<const char*>(bson_get_data(b)), b->len); }

class ConvertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    rt_ = Runtime::Create(Limits{}, &error);
    ASSERT_TRUE(rt_) << error;
  }
  void TearDown() override { rt_.reset(); }

  JSContext* cx() { return rt_->cx(); }

  // Converts `doc` to a lazy object, runs `fn_source` on it and encodes the result.
  std::string RunOn(const std::string& doc, const std::string& fn_source) {
    JS::RootedValue fn(cx()), self(cx()), rval(cx());
    std::string error;
    EXPECT_TRUE(rt_->CompileFunction("test", fn_source, &fn, &error)) << error;
    JS::RootedValueArray<1> args(cx());
    EXPECT_TRUE(ValueToJs(cx(), bson::kDocument, doc.data(), doc.size(), args[0]));
    EXPECT_TRUE(rt_->Call("test", fn, self, args, &rval, &error)) << error;
    EXPECT_TRUE(rval.isObject());
    JS::RootedObject obj(cx(), &rval.toObject());
    BsonEncoder encoder(cx());
    std::string out;
    EXPECT_TRUE(encoder.EncodeDocument(obj, &out)) << rt_->TakeError("encode");
    return out;
  }

  // Evaluates `expr` and encodes it as a top-level value.
  bool EncodeExpr(const std::string& expr, uint8_t* type, std::string* bytes, std::string* error) {
    JS::RootedValue v(cx());
    if (!rt_->Evaluate("expr", expr, &v, error)) return false;
    BsonEncoder encoder(cx());
    if (encoder.EncodeValue(v, type, bytes)) return true;
    *error = rt_->TakeError("encode");
    return false;
  }

  std::unique_ptr<Runtime> rt_;
};

// Every BSON type the conversion knows, and the document MongoDB would write back after a
// script copied each field: int32 comes back as a double (a JS number), the rest unchanged.
void AppendAllTypes(bson_t* b, bool int32_as_double) {
  bson_oid_t oid;
  bson_oid_init_from_string(&oid, "5f2b5a0e8d1c2a3b4c5d6e7f");
  const uint8_t bin[] = {1, 2, 3, 250};
  bson_decimal128_t dec;
  bson_decimal128_from_string("12.345", &dec);
  BSON_APPEND_DOUBLE(b, "double", 2.5);
  BSON_APPEND_DOUBLE(b, "whole_double", 3.0);
  if (int32_as_double) {
    BSON_APPEND_DOUBLE(b, "int32", 7);
  } else {
    BSON_APPEND_INT32(b, "int32", 7);
  }
  BSON_APPEND_INT64(b, "int64", 9007199254740993LL);
  BSON_APPEND_UTF8(b, "string", "h\xc3\xa9llo \xe2\x82\xac");
  BSON_APPEND_BOOL(b, "bool", true);
  BSON_APPEND_NULL(b, "null");
  BSON_APPEND_OID(b, "oid", &oid);
  BSON_APPEND_DATE_TIME(b, "date", 1355896877171LL);
  BSON_APPEND_BINARY(b, "binary", BSON_SUBTYPE_BINARY, bin, sizeof bin);
  BSON_APPEND_REGEX(b, "regex", "^a.c$", "im");
  BSON_APPEND_TIMESTAMP(b, "ts", 1600000000, 7);
  BSON_APPEND_MINKEY(b, "min");
  BSON_APPEND_MAXKEY(b, "max");
  BSON_APPEND_DECIMAL128(b, "decimal", &dec);
  bson_t child;
  BSON_APPEND_DOCUMENT_BEGIN(b, "doc", &child);
  BSON_APPEND_UTF8(&child, "city", "Oslo");
  BSON_APPEND_DOUBLE(&child, "n", 1.5);
  bson_append_document_end(b, &child);
  BSON_APPEND_ARRAY_BEGIN(b, "array", &child);
  BSON_APPEND_DOUBLE(&child, "0", 1);
  BSON_APPEND_UTF8(&child, "1", "two");
  bson_t grandchild;
  BSON_APPEND_DOCUMENT_BEGIN(&child, "2", &grandchild);
  BSON_APPEND_INT64(&grandchild, "x", 5);
  bson_append_document_end(&child, &grandchild);
  bson_append_array_end(b, &child);
}

TEST_F(ConvertTest, EveryTypeRoundTripsThroughACopyMadeInJavaScript) {
  bson_t in = BSON_INITIALIZER, expected = BSON_INITIALIZER;
  AppendAllTypes(&in, false);
  AppendAllTypes(&expected, true);
  const std::string out =
      RunOn(Bytes(&in), "function (d) { var o = {}; for (var k in d) o[k] = d[k]; return o; }");
  EXPECT_EQ(out, Bytes(&expected));
  bson_destroy(&in);
  bson_destroy(&expected);
}

TEST_F(ConvertTest, UntouchedDocumentIsWrittenBackByteForByte) {
  bson_t in = BSON_INITIALIZER;
  AppendAllTypes(&in, false);
  EXPECT_EQ(RunOn(Bytes(&in), "function (d) { return d; }"), Bytes(&in));
  bson_destroy(&in);
}

TEST_F(ConvertTest, JavaScriptSeesTheShellTypes) {
  bson_t in = BSON_INITIALIZER;
  AppendAllTypes(&in, false);
  const std::string out = RunOn(Bytes(&in), R"(function (d) {
    return {
      int32: typeof d.int32, double: typeof d.double,
      int64: d.int64 instanceof NumberLong, int64s: d.int64.toString(),
      oid: d.oid.str, ts: d.oid.getTimestamp().getTime(),
      date: d.date instanceof Date, ms: d.date.getTime(),
      bin: d.binary.base64() + "/" + d.binary.subtype(), re: d.regex.source + "/" + d.regex.flags,
      stamp: d.ts.t + ":" + d.ts.i, min: tojson(d.min), dec: d.decimal.toString(),
      nested: d.doc.city, arr: Array.isArray(d.array) && d.array[2].x.toNumber(), nul: d.null === null
    };
  })");
  bson_t* result = bson_new_from_data(reinterpret_cast<const uint8_t*>(out.data()), out.size());
  char* json = bson_as_relaxed_extended_json(result, nullptr);
  bson_destroy(result);
  EXPECT_STREQ(json,
               "{ \"int32\" : \"number\", \"double\" : \"number\", \"int64\" : true, "
               "\"int64s\" : \"NumberLong(\\\"9007199254740993\\\")\", \"oid\" : \"5f2b5a0e8d1c2a3b4c5d6e7f\", "
               "\"ts\" : 1596676622000.0, \"date\" : true, \"ms\" : 1355896877171.0, \"bin\" : \"AQID+g==/0\", "
               "\"re\" : \"^a.c$/im\", \"stamp\" : \"1600000000:7\", \"min\" : \"{ \\\"$minKey\\\" : 1 }\", "
               "\"dec\" : \"NumberDecimal(\\\"12.345\\\")\", \"nested\" : \"Oslo\", \"arr\" : 5.0, \"nul\" : true }");
  bson_free(json);
  bson_destroy(&in);
}

TEST_F(ConvertTest, OnlyTheFieldsReadAreConverted) {
  bson_t in = BSON_INITIALIZER;
  AppendAllTypes(&in, false);
  const std::string doc = Bytes(&in);
  JS::RootedValue v(cx());
  ASSERT_TRUE(ValueToJs(cx(), bson::kDocument, doc.data(), doc.size(), &v));
  JS::RootedObject obj(cx(), &v.toObject());
  JS::RootedValue field(cx());
  ASSERT_TRUE(JS_GetProperty(cx(), obj, "string", &field));
  ASSERT_TRUE(JS_GetProperty(cx(), obj, "oid", &field));
  const std::optional<LazyDocument> lazy = GetLazyDocument(obj);
  ASSERT_TRUE(lazy.has_value());
  EXPECT_EQ(lazy->CountResolved(), 2u);
  bson_destroy(&in);
}

TEST_F(ConvertTest, ChangedAddedAndDeletedFieldsAreWritten) {
  bson_t in = BSON_INITIALIZER, expected = BSON_INITIALIZER;
  BSON_APPEND_INT32(&in, "a", 1);
  BSON_APPEND_INT32(&in, "b", 2);
  BSON_APPEND_INT32(&in, "c", 3);
  BSON_APPEND_INT32(&expected, "a", 10);  // an int32 field stays int32 while it fits, as in MongoDB
  BSON_APPEND_INT32(&expected, "c", 3);
  BSON_APPEND_UTF8(&expected, "d", "new");
  EXPECT_EQ(RunOn(Bytes(&in), "function (d) { d.a = d.a * 10; delete d.b; d.d = 'new'; return d; }"),
            Bytes(&expected));
  bson_destroy(&in);
  bson_destroy(&expected);
}

TEST_F(ConvertTest, AFieldDeletedAndSetAgainComesLast) {
  bson_t in = BSON_INITIALIZER, expected = BSON_INITIALIZER;
  BSON_APPEND_INT32(&in, "a", 1);
  BSON_APPEND_INT32(&in, "b", 2);
  BSON_APPEND_INT32(&expected, "b", 2);
  BSON_APPEND_UTF8(&expected, "a", "again");  // JavaScript's property order: set last
  EXPECT_EQ(RunOn(Bytes(&in), "function (d) { delete d.a; d.a = 'again'; return d; }"), Bytes(&expected));
  bson_destroy(&in);
  bson_destroy(&expected);
}

TEST_F(ConvertTest, FieldsPastTheThirtySecondAreTrackedToo) {
  bson_t in = BSON_INITIALIZER, expected = BSON_INITIALIZER;
  for (int i = 0; i < 40; ++i) {
    const std::string name = "f" + std::to_string(i);
    BSON_APPEND_INT32(&in, name.c_str(), i);
    if (i == 35) continue;  // deleted
    if (i == 38) {
      BSON_APPEND_UTF8(&expected, name.c_str(), "changed");
    } else {
      BSON_APPEND_INT32(&expected, name.c_str(), i);
    }
  }
  EXPECT_EQ(RunOn(Bytes(&in), "function (d) { var x = d.f37; delete d.f35; d.f38 = 'changed'; return d; }"),
            Bytes(&expected));
  bson_destroy(&in);
  bson_destroy(&expected);
}

// Lazy documents live in the nursery, and the GC moves them and their bytes when it tenures
// them. With the smallest nursery, collections fall in the middle of conversions (between the
// elements of an array, the names of an enumeration, the fields of an encoding); every kept
// document must still read and write back as it was.
TEST_F(ConvertTest, DocumentsReadTheSameAfterTheGcMovedThem) {
  JS_SetGCParameter(cx(), JSGC_MIN_NURSERY_BYTES, 256 * 1024);
  JS_SetGCParameter(cx(), JSGC_MAX_NURSERY_BYTES, 256 * 1024);
  JS::RootedValue keep(cx()), touch(cx()), rval(cx()), self(cx());
  std::string error;
  ASSERT_TRUE(rt_->Evaluate("setup", "var kept = [];", &rval, &error)) << error;
  ASSERT_TRUE(rt_->CompileFunction("keep", R"(function (d) {
    var names = [];
    for (var k in d) names.push(k);
    var words = d.words.map(function (w) { return w + "!"; });
    kept.push(d);
    return names.join(",") + "|" + words.join(",") + "|" + d.sub.x;
  })", &keep, &error)) << error;
  constexpr int kDocs = 3000;
  std::vector<std::string> docs;
  for (int i = 0; i < kDocs; ++i) {
    bson_t b = BSON_INITIALIZER, sub, words;
    BSON_APPEND_INT32(&b, "_id", i);
    BSON_APPEND_UTF8(&b, "s", ("s" + std::to_string(i)).c_str());
    BSON_APPEND_ARRAY_BEGIN(&b, "words", &words);
    for (int w = 0; w < 20; ++w) BSON_APPEND_UTF8(&words, std::to_string(w).c_str(), ("w" + std::to_string(i + w)).c_str());
    bson_append_array_end(&b, &words);
    BSON_APPEND_DOCUMENT_BEGIN(&b, "sub", &sub);
    BSON_APPEND_INT32(&sub, "x", i);
    bson_append_document_end(&b, &sub);
    docs.push_back(Bytes(&b));
    bson_destroy(&b);
  }
  for (int i = 0; i < kDocs; ++i) {
    JS::RootedValueArray<1> args(cx());
    ASSERT_TRUE(ValueToJs(cx(), bson::kDocument, docs[i].data(), docs[i].size(), args[0]));
    ASSERT_TRUE(rt_->Call("keep", keep, self, args, &rval, &error)) << error;
    std::string got;
    ASSERT_TRUE(AppendUtf8(cx(), rval.toString(), &got));
    std::string words;
    for (int w = 0; w < 20; ++w) words += (w ? ",w" : "w") + std::to_string(i + w) + "!";
    ASSERT_EQ(got, "_id,s,words,sub|" + words + "|" + std::to_string(i)) << "document " << i;
  }
  // Every document, tenured and moved by now, reads its untouched fields from its bytes again.
  ASSERT_TRUE(rt_->CompileFunction("touch", "function (i) { var d = kept[i]; d.s = d.s + '+'; return d; }", &touch,
                                   &error)) << error;
  BsonEncoder encoder(cx());
  for (int i = 0; i < kDocs; ++i) {
    JS::RootedValueArray<1> args(cx());
    args[0].setInt32(i);
    ASSERT_TRUE(rt_->Call("touch", touch, self, args, &rval, &error)) << error;
    JS::RootedObject obj(cx(), &rval.toObject());
    std::string out;
    ASSERT_TRUE(encoder.EncodeDocument(obj, &out)) << rt_->TakeError("encode");
    bson_t b;
    ASSERT_TRUE(bson_init_static(&b, reinterpret_cast<const uint8_t*>(out.data()), out.size()));
    bson_iter_t it;
    ASSERT_TRUE(bson_iter_init_find(&it, &b, "s"));
    EXPECT_EQ(std::string(bson_iter_utf8(&it, nullptr)), "s" + std::to_string(i) + "+");
    ASSERT_TRUE(bson_iter_init_find(&it, &b, "words"));
    ASSERT_TRUE(bson_iter_init_find(&it, &b, "sub"));
    EXPECT_EQ(out.size(), docs[i].size() + 1) << "document " << i;  // one character longer
  }
}

TEST_F(ConvertTest, NumbersAreDoublesUnlessTyped) {
  uint8_t type;
  std::string bytes, error;
  ASSERT_TRUE(EncodeExpr("1", &type, &bytes, &error)) << error;
  EXPECT_EQ(type, bson::kDouble);
  EXPECT_EQ(bson::LoadDouble(bytes.data()), 1.0);
  ASSERT_TRUE(EncodeExpr("NumberInt(5)", &type, &bytes, &error)) << error;
  EXPECT_EQ(type, bson::kInt32);
  EXPECT_EQ(bson::LoadInt32(bytes.data()), 5);
  ASSERT_TRUE(EncodeExpr("NumberLong('-9223372036854775808')", &type, &bytes, &error)) << error;
  EXPECT_EQ(type, bson::kInt64);
  EXPECT_EQ(bson::LoadInt64(bytes.data()), INT64_MIN);
  ASSERT_TRUE(EncodeExpr("'w\\u00f6rd'", &type, &bytes, &error)) << error;
  EXPECT_EQ(type, bson::kString);
  EXPECT_EQ(bytes, "w\xc3\xb6rd");  // characters only, as aviary::ValueView holds strings
  ASSERT_TRUE(EncodeExpr("undefined", &type, &bytes, &error)) << error;
  EXPECT_EQ(type, bson::kNull);
}

TEST_F(ConvertTest, EngineViewsOfSymbolsCarryTheirLengthPrefix) {
  std::string payload;
  AppendBsonString("sym", &payload);
  JS::RootedValue v(cx());
  ASSERT_TRUE(ValueToJs(cx(), bson::kSymbol, payload.data(), payload.size(), &v));
  ASSERT_TRUE(v.isString());
  bool equal = false;
  ASSERT_TRUE(JS_StringEqualsLiteral(cx(), v.toString(), "sym", &equal));
  EXPECT_TRUE(equal);
}

TEST_F(ConvertTest, ValuesThatCannotBeStoredNameTheField) {
  uint8_t type;
  std::string bytes, error;
  EXPECT_FALSE(EncodeExpr("({a: {f: function () {}}})", &type, &bytes, &error));
  EXPECT_NE(error.find("cannot store a function (field 'f')"), std::string::npos) << error;
  EXPECT_FALSE(EncodeExpr("var o = {}; o.self = o; o", &type, &bytes, &error));
  EXPECT_NE(error.find("nested deeper than 100 levels"), std::string::npos) << error;
  EXPECT_FALSE(EncodeExpr("({s: Symbol('x')})", &type, &bytes, &error));
  EXPECT_NE(error.find("symbol"), std::string::npos) << error;
}

}  // namespace
}  // namespace aviary::js
