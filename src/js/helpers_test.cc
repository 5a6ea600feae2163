// The shell helpers mapReduce code uses, evaluated in a fresh context.
#include <gtest/gtest.h>
#include <js/Conversions.h>

#include <memory>
#include <string>

#include "js/runtime.h"
#include "js/utf8.h"

namespace aviary::js {
namespace {

class HelpersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    rt_ = Runtime::Create(Limits{}, &error);
    ASSERT_TRUE(rt_) << error;
  }
  void TearDown() override { rt_.reset(); }

  // The expression's value as a string (String(x)), or "error: ..." if it throws.
  std::string Eval(const std::string& expr) {
    JS::RootedValue v(rt_->cx());
    std::string error;
    if (!rt_->Evaluate("test", expr, &v, &error)) return "error: " + error;
    JS::RootedString s(rt_->cx(), JS::ToString(rt_->cx(), v));
    std::string out;
    EXPECT_TRUE(s && AppendUtf8(rt_->cx(), s, &out));
    return out;
  }

  std::unique_ptr<Runtime> rt_;
};

TEST_F(HelpersTest, ArrayHelpers) {
  EXPECT_EQ(Eval("Array.sum([1, 2, 3.5])"), "6.5");
  EXPECT_EQ(Eval("Array.sum([])"), "null");
  EXPECT_EQ(Eval("Array.avg([1, 2, 3, 4])"), "2.5");
  EXPECT_EQ(Eval("Array.contains(['a', 'b'], 'b') + ',' + Array.contains([1], 2)"), "true,false");
  EXPECT_EQ(Eval("Array.unique([3, 1, 3, 2, 1]).join(',')"), "3,1,2");
  EXPECT_EQ(Eval("Array.sum([NumberLong(2), NumberLong(3)])"), "5");
}

TEST_F(HelpersTest, NumberLongAndNumberInt) {
  EXPECT_EQ(Eval("NumberLong(5).toString()"), "NumberLong(5)");
  EXPECT_EQ(Eval("NumberLong('9007199254740993').toString()"), "NumberLong(\"9007199254740993\")");
  EXPECT_EQ(Eval("NumberLong('9007199254740993').exactValueString"), "9007199254740993");
  EXPECT_EQ(Eval("new NumberLong(7) + 1"), "8");
  EXPECT_EQ(Eval("NumberLong(-1).top + ',' + NumberLong(-1).bottom"), "-1,4294967295");
  EXPECT_EQ(Eval("NumberLong(5) instanceof NumberLong"), "true");
  EXPECT_EQ(Eval("NumberLong('x')").find("error: threw Error: could not convert \"x\" to NumberLong (prelude line"), 0u);
  EXPECT_EQ(Eval("NumberInt(3.9).toString() + ' ' + (NumberInt(3) * 2)"), "NumberInt(3) 6");
}

TEST_F(HelpersTest, ObjectId) {
  EXPECT_EQ(Eval("ObjectId('5F2B5A0E8D1C2A3B4C5D6E7F').str"), "5f2b5a0e8d1c2a3b4c5d6e7f");
  EXPECT_EQ(Eval("ObjectId('5f2b5a0e8d1c2a3b4c5d6e7f').toString()"), "ObjectId(\"5f2b5a0e8d1c2a3b4c5d6e7f\")");
  EXPECT_EQ(Eval("ObjectId('5f2b5a0e8d1c2a3b4c5d6e7f').getTimestamp().toISOString()"), "2020-08-06T01:17:02.000Z");
  EXPECT_EQ(Eval("ObjectId().str.length"), "24");
  EXPECT_EQ(Eval("ObjectId().str === ObjectId().str"), "false");
  EXPECT_EQ(Eval("ObjectId('5f2b5a0e8d1c2a3b4c5d6e7f').equals(ObjectId('5f2b5a0e8d1c2a3b4c5d6e7f'))"), "true");
}

TEST_F(HelpersTest, Dates) {
  EXPECT_EQ(Eval("ISODate('2012-12-19T06:01:17.171Z').getTime()"), "1355896877171");
  EXPECT_EQ(Eval("ISODate('2012-12-19').getTime()"), "1355875200000");
  EXPECT_EQ(Eval("ISODate('2012-12-19T08:01:17+02:00').toISOString()"), "2012-12-19T06:01:17.000Z");
  EXPECT_EQ(Eval("tojson(new Date(1355896877171))"), "ISODate(\"2012-12-19T06:01:17.171Z\")");
  EXPECT_EQ(Eval("ISODate() instanceof Date"), "true");
}

TEST_F(HelpersTest, Tojson) {
  EXPECT_EQ(Eval("tojson({a: 1, b: 'x', c: [1, 2], d: null})"), "{ \"a\" : 1, \"b\" : \"x\", \"c\" : [ 1, 2 ], \"d\" : null }");
  EXPECT_EQ(Eval("tojson({n: NumberLong(3), o: ObjectId('5f2b5a0e8d1c2a3b4c5d6e7f')})"),
            "{ \"n\" : NumberLong(3), \"o\" : ObjectId(\"5f2b5a0e8d1c2a3b4c5d6e7f\") }");
  // Past 80 characters the shell keeps one field per line.
  EXPECT_EQ(Eval("tojson({aaaaaaaaaaaaaaaaaaaa: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', cccccccccccccccccccc: 'dddddddddd'})"),
            "{\n\t\"aaaaaaaaaaaaaaaaaaaa\" : \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\n\t\"cccccccccccccccccccc\" : \"dddddddddd\"\n}");
  EXPECT_EQ(Eval("tojson([])"), "[ ]");
  EXPECT_EQ(Eval("tojson('a\"b')"), "\"a\\\"b\"");
  EXPECT_EQ(Eval("tojson(BinData(0, 'AQID'))"), "BinData(0,\"AQID\")");
}

TEST_F(HelpersTest, PrintAndPrintjsonWriteTheLog) {
  ::testing::internal::CaptureStderr();
  Eval("print('hello', 1, {a: 1}); printjson({a: 1})");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "hello 1 [object Object]\n{ \"a\" : 1 }\n");
}

TEST_F(HelpersTest, PredicatesAndHashes) {
  EXPECT_EQ(Eval("[isNumber(1), isNumber('1'), isObject({}), isObject(null), isObject(1)].join()"),
            "true,false,true,true,false");
  EXPECT_EQ(Eval("hex_md5('abc')"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Eval("hex_md5('h\\u00e9')"), "33fcd01258e6ba07ef405dc9e721f3a7");
  EXPECT_EQ(Eval("BinData(0, 'AQID').hex() + ' ' + HexData(0, '010203').base64() + ' ' + UUID('00112233-4455-6677-8899-aabbccddeeff').subtype()"),
            "010203 AQID 4");
  EXPECT_EQ(Eval("Timestamp(10, 2).toString() + ' ' + Timestamp(10, 2).t"), "Timestamp(10, 2) 10");
}

}  // namespace
}  // namespace aviary::js
