#include "storage/files/jsonl.h"

#include <gtest/gtest.h>

#include "aviary/value.h"

namespace aviary {
namespace {

TEST(JsonlTest, ExtensionDecidesTheFormat) {
  EXPECT_TRUE(IsJsonLinesPath("data/x.jsonl"));
  EXPECT_TRUE(IsJsonLinesPath("data/x.json"));  // read as JSON lines, as `aviary load` does
  EXPECT_FALSE(IsJsonLinesPath("data/x.jsonl.txt"));
}

TEST(JsonlTest, BlankLines) {
  EXPECT_TRUE(IsBlankLine(""));
  EXPECT_TRUE(IsBlankLine(" \t\r"));
  EXPECT_FALSE(IsBlankLine(" {}"));
}

TEST(JsonlTest, ParsesExtendedJsonIntoBson) {
  std::string bson = "stale bytes", error;
  ASSERT_TRUE(ParseJsonLine(R"( {"s": "x", "n": 5, "big": 3000000000, "d": 1.5, "when": {"$date": "2020-01-01T00:00:00Z"},
                                 "id": {"$oid": "507f1f77bcf86cd799439011"}, "tags": ["a", "b"]} )",
                            &bson, &error))
      << error;
  DocumentView doc(bson.data(), bson.size());
  EXPECT_EQ(doc.Get("s")->as_string(), "x");
  EXPECT_EQ(doc.Get("n")->type(), Type::kInt32);
  EXPECT_EQ(doc.Get("big")->type(), Type::kInt64);
  EXPECT_EQ(doc.Get("d")->as_double(), 1.5);
  EXPECT_EQ(doc.Get("when")->as_datetime_ms(), 1577836800000);
  EXPECT_EQ(doc.Get("id")->type(), Type::kObjectId);
  EXPECT_EQ(doc.GetPath("tags.1")->as_string(), "b");
}

TEST(JsonlTest, RejectsAnythingButOneObject) {
  std::string bson, error;
  for (const char* bad : {"[1, 2]", "5", "\"s\"", "{} {}", "{}{\"a\": 1}", "{\"a\": 1,}", "{\"a\": ", "{} x",
                          "{\"id\": {\"$oid\": \"zz\"}}"}) {
    error.clear();
    EXPECT_FALSE(ParseJsonLine(bad, &bson, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  EXPECT_FALSE(ParseJsonLine("{} {}", &bson, &error));
  EXPECT_EQ(error, "more than one JSON document on the line");
  EXPECT_FALSE(ParseJsonLine("[1]", &bson, &error));
  EXPECT_EQ(error, "a JSON line must hold one object {...}");
}

}  // namespace
}  // namespace aviary
