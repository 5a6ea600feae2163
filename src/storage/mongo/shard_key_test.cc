// Hash vectors: MongoDB's own unit test of BSONElementHasher, src/mongo/db/hasher_test.cpp
// (mongodb/mongo; the 2013 version and its 4.x successor, which changed only the Timestamp
// vectors when Timestamp got its own canonical type). Each vector there hashes the first element
// of {check: <value>} with seed 0.
#include "storage/mongo/shard_key.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "storage/mongo/handles.h"

namespace aviary::mongo {
namespace {

// Keeps a one-field document alive and views its value.
class OneValue {
 public:
  OneValue() = default;
  bson_t* doc() { return doc_.get(); }
  ValueView view() {
    BsonWalker w(reinterpret_cast<const char*>(bson_get_data(doc_.get())), doc_.get()->len);
    BsonElement e;
    EXPECT_TRUE(w.Next(&e));
    return e.view();
  }

 private:
  ScopedBson doc_;
};

int64_t HashOf(void (*fill)(bson_t*)) {
  OneValue v;
  fill(v.doc());
  return HashedShardKeyValue(v.view());
}

int64_t HashInt64(int64_t x) { return HashedShardKeyValue(ValueView::Int64(x)); }
int64_t HashDouble(double x) { return HashedShardKeyValue(ValueView::Double(x)); }

TEST(HashedShardKeyValue, Numbers) {
  EXPECT_EQ(HashInt64(42), -944302157085130861LL);
  EXPECT_EQ(HashDouble(42.123), -944302157085130861LL);
  int32_t i32 = 42;
  EXPECT_EQ(HashedShardKeyValue(ValueView(Type::kInt32, reinterpret_cast<const char*>(&i32), 4)), -944302157085130861LL);
  EXPECT_EQ(HashInt64(0), 4854801880128277513LL);
  EXPECT_EQ(HashDouble(0.456), 4854801880128277513LL);
  EXPECT_EQ(HashDouble(std::numeric_limits<double>::quiet_NaN()), 4854801880128277513LL);
  EXPECT_EQ(HashInt64(1), 5902408780260971510LL);
  EXPECT_EQ(HashDouble(1.987), 5902408780260971510LL);
  EXPECT_EQ(HashInt64(-1), 1140205862565771219LL);
  EXPECT_EQ(HashDouble(-1.789), 1140205862565771219LL);
  EXPECT_EQ(HashInt64(std::numeric_limits<int32_t>::min()), 6165898260261354870LL);
  EXPECT_EQ(HashInt64(std::numeric_limits<int32_t>::max()), 1143184177162245883LL);
  EXPECT_EQ(HashDouble(std::numeric_limits<double>::max()), 921523596458303250LL);
  EXPECT_EQ(HashInt64(std::numeric_limits<int64_t>::max()), 921523596458303250LL);
  EXPECT_EQ(HashDouble(-std::numeric_limits<double>::max()), 4532067210535695462LL);
  EXPECT_EQ(HashInt64(std::numeric_limits<int64_t>::min()), 4532067210535695462LL);
  // 2^63 as a double hashes like INT64_MIN (bsonelement.h, safeNumberLongForHash).
  EXPECT_EQ(HashDouble(9223372036854775808.0), 4532067210535695462LL);
}

TEST(HashedShardKeyValue, Scalars) {
  EXPECT_EQ(HashedShardKeyValue(MinKeyValue()), 7961148599568647290LL);
  EXPECT_EQ(HashedShardKeyValue(MaxKeyValue()), 5504842513779440750LL);
  EXPECT_EQ(HashOf([](bson_t* b) { BSON_APPEND_UNDEFINED(b, "check"); }), 40158834000849533LL);
  EXPECT_EQ(HashedShardKeyValue(ValueView::Null()), 2338878944348059895LL);
  EXPECT_EQ(HashedShardKeyValue(ValueView::String("abc")), 8478485326885698097LL);
  EXPECT_EQ(HashOf([](bson_t* b) { BSON_APPEND_SYMBOL(b, "check", "abc"); }), 8478485326885698097LL);
  EXPECT_EQ(HashedShardKeyValue(ValueView::String("")), 2049396243249673340LL);
  bool t = true, f = false;
  EXPECT_EQ(HashedShardKeyValue(ValueView::Bool(t)), 6405873908747105701LL);
  EXPECT_EQ(HashedShardKeyValue(ValueView::Bool(f)), 6289544573401934092LL);
}

TEST(HashedShardKeyValue, DocumentsAndArrays) {
  EXPECT_EQ(HashOf([](bson_t* b) {
              bson_t child;
              BSON_APPEND_DOCUMENT_BEGIN(b, "check", &child);
              BSON_APPEND_UTF8(&child, "a", "abc");
              BSON_APPEND_INT64(&child, "b", 123);
              bson_append_document_end(b, &child);
            }),
            4771603801758380216LL);
  EXPECT_EQ(HashOf([](bson_t* b) {
              bson_t child;
              BSON_APPEND_DOCUMENT_BEGIN(b, "check", &child);
              bson_append_document_end(b, &child);
            }),
            7980500913326740417LL);
  EXPECT_EQ(HashOf([](bson_t* b) {
              bson_t child;
              BSON_APPEND_ARRAY_BEGIN(b, "check", &child);
              BSON_APPEND_UTF8(&child, "0", "bar");
              BSON_APPEND_UTF8(&child, "1", "baz");
              BSON_APPEND_UTF8(&child, "2", "qux");
              bson_append_array_end(b, &child);
            }),
            -2938911267422831539LL);
  EXPECT_EQ(HashOf([](bson_t* b) {
              bson_t child;
              BSON_APPEND_ARRAY_BEGIN(b, "check", &child);
              bson_append_array_end(b, &child);
            }),
            8849948234993459283LL);
}

TEST(HashedShardKeyValue, BinaryObjectIdDates) {
  static const uint8_t bytes[] = {0, 1, 2, 3, 4, 6};
  static const uint8_t uuid[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  EXPECT_EQ(HashOf([](bson_t* b) { BSON_APPEND_BINARY(b, "check", BSON_SUBTYPE_BINARY, bytes, 6); }), 7252465090394235301LL);
  EXPECT_EQ(HashOf([](bson_t* b) { BSON_APPEND_BINARY(b, "check", BSON_SUBTYPE_USER, bytes, 6); }), 5736670452907618262LL);
  EXPECT_EQ(HashOf([](bson_t* b) { BSON_APPEND_BINARY(b, "check", BSON_SUBTYPE_UUID, uuid, 16); }), 6084661258071355978LL);
  EXPECT_EQ(HashOf([](bson_t* b) {
              bson_oid_t oid;
              bson_oid_init_from_string(&oid, "010203040506070809101112");
              BSON_APPEND_OID(b, "check", &oid);
            }),
            -5588663249627035708LL);
  EXPECT_EQ(HashOf([](bson_t* b) {
              bson_oid_t oid;
              bson_oid_init_from_string(&oid, "000000000000000000000000");
              BSON_APPEND_OID(b, "check", &oid);
            }),
            -4293118519463489418LL);
  EXPECT_EQ(HashOf([](bson_t* b) { BSON_APPEND_DATE_TIME(b, "check", 0x5566778811223344LL); }), 4476222765095560467LL);
  EXPECT_EQ(HashOf([](bson_t* b) { BSON_APPEND_DATE_TIME(b, "check", 0); }), -1178696894582842035LL);
  EXPECT_EQ(HashOf([](bson_t* b) { BSON_APPEND_TIMESTAMP(b, "check", 0x55667788, 0x11223344); }), 4873046866288452390LL);
  EXPECT_EQ(HashOf([](bson_t* b) { BSON_APPEND_TIMESTAMP(b, "check", 0, 0); }), -7867208682377458672LL);
}

TEST(HashedShardKeyValue, RegexCode) {
  EXPECT_EQ(HashOf([](bson_t* b) { BSON_APPEND_REGEX(b, "check", "mongodb", ""); }), -7275792090268217043LL);
  EXPECT_EQ(HashOf([](bson_t* b) { BSON_APPEND_REGEX(b, "check", ".*", "i"); }), 7095855029187981886LL);
  EXPECT_EQ(HashOf([](bson_t* b) { BSON_APPEND_CODE(b, "check", "func f() { return 1; }"); }), 6861638109178014270LL);
  EXPECT_EQ(HashOf([](bson_t* b) {
              ScopedBson scope;
              BSON_APPEND_BOOL(scope.get(), "c", true);
              BSON_APPEND_CODE_WITH_SCOPE(b, "check", "func f() { return 1; }", scope.get());
            }),
            501342939894575968LL);
}

// Mentioned in mongosh's tests (mongodb-js/mongosh): convertShardKeyToHashed({foo: "bar"}) hashes
// the document {foo: "bar"} itself.
TEST(HashedShardKeyValue, MongoshVector) {
  EXPECT_EQ(HashOf([](bson_t* b) {
              bson_t child;
              BSON_APPEND_DOCUMENT_BEGIN(b, "check", &child);
              BSON_APPEND_UTF8(&child, "foo", "bar");
              bson_append_document_end(b, &child);
            }),
            4975617422686807705LL);
}

int Cmp(ValueView a, ValueView b) {
  const int c = CompareKeyValues(a, b);
  EXPECT_EQ(-c, CompareKeyValues(b, a) < 0 ? -1 : (CompareKeyValues(b, a) > 0 ? 1 : 0)) << "antisymmetry";
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

TEST(CompareKeyValues, CanonicalTypeOrder) {
  int64_t one = 1;
  bool t = true;
  double nan = std::nan("");
  EXPECT_EQ(Cmp(MinKeyValue(), ValueView::Null()), -1);
  EXPECT_EQ(Cmp(ValueView::Null(), ValueView::Double(nan)), -1);
  EXPECT_EQ(Cmp(ValueView::Int64(one), ValueView::String("")), -1);
  EXPECT_EQ(Cmp(ValueView::String("zzz"), ValueView::Bool(t)), -1);
  EXPECT_EQ(Cmp(ValueView::Bool(t), MaxKeyValue()), -1);
  EXPECT_EQ(Cmp(MaxKeyValue(), MaxKeyValue()), 0);
  EXPECT_EQ(Cmp(MinKeyValue(), MinKeyValue()), 0);
}

TEST(CompareKeyValues, NumbersAcrossTypes) {
  int32_t i32 = 5;
  int64_t i64 = 5, big = (int64_t{1} << 53) + 1, neg = -7;
  double d5 = 5.0, d55 = 5.5, dbig = 9007199254740992.0, nan = std::nan(""), dneg = -7.5, huge = 1e300;
  const ValueView v32(Type::kInt32, reinterpret_cast<const char*>(&i32), 4);
  EXPECT_EQ(Cmp(v32, ValueView::Int64(i64)), 0);
  EXPECT_EQ(Cmp(v32, ValueView::Double(d5)), 0);
  EXPECT_EQ(Cmp(v32, ValueView::Double(d55)), -1);
  EXPECT_EQ(Cmp(ValueView::Int64(big), ValueView::Double(dbig)), 1);  // 2^53+1 > 2^53 exactly
  EXPECT_EQ(Cmp(ValueView::Double(nan), ValueView::Int64(neg)), -1);  // NaN below every number
  EXPECT_EQ(Cmp(ValueView::Double(nan), ValueView::Double(nan)), 0);
  EXPECT_EQ(Cmp(ValueView::Double(dneg), ValueView::Int64(neg)), -1);
  EXPECT_EQ(Cmp(ValueView::Int64(big), ValueView::Double(huge)), -1);
}

TEST(CompareKeyValues, StringsDocumentsBinary) {
  EXPECT_EQ(Cmp(ValueView::String("ab"), ValueView::String("abc")), -1);
  EXPECT_EQ(Cmp(ValueView::String("b"), ValueView::String("abc")), 1);
  EXPECT_EQ(Cmp(ValueView::String("\xc3\xa9"), ValueView::String("z")), 1);  // bytes, not locale
  Value d1 = DocumentBuilder().Append("a", int64_t{1}).Finish();
  Value d2 = DocumentBuilder().Append("a", int64_t{1}).Append("b", int64_t{0}).Finish();
  Value d3 = DocumentBuilder().Append("a", std::string_view("x")).Finish();
  Value d4 = DocumentBuilder().Append("b", int64_t{0}).Finish();
  EXPECT_EQ(Cmp(d1, d2), -1);  // prefix first
  EXPECT_EQ(Cmp(d1, d3), -1);  // number before string
  EXPECT_EQ(Cmp(d1, d4), -1);  // field name
  Value arr = ArrayBuilder().Push(ValueView::String("x")).Finish();
  EXPECT_EQ(Cmp(d4, arr), -1);  // documents before arrays
  OneValue b1, b2;
  static const uint8_t long_bytes[] = {0, 0, 0}, short_bytes[] = {9, 9};
  BSON_APPEND_BINARY(b1.doc(), "x", BSON_SUBTYPE_BINARY, long_bytes, 3);
  BSON_APPEND_BINARY(b2.doc(), "x", BSON_SUBTYPE_BINARY, short_bytes, 2);
  EXPECT_EQ(Cmp(b2.view(), b1.view()), -1);  // shorter binary first, whatever the bytes
}

}  // namespace
}  // namespace aviary::mongo
