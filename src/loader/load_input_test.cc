#include "loader/load_input.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/scratch_dir.h"

namespace aviary::loader {
namespace {

class LoadInputTest : public ::testing::Test {
 protected:
  ScratchDir scratch_;
  const std::string dir_ = scratch_.path();

  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  static std::string Json(std::string_view doc) {
    bson_t b;
    EXPECT_TRUE(bson_init_static(&b, reinterpret_cast<const uint8_t*>(doc.data()), doc.size()));
    char* s = bson_as_relaxed_extended_json(&b, nullptr);
    std::string out = s;
    bson_free(s);
    return out;
  }

};

TEST_F(LoadInputTest, JsonLinesSkipBlankLinesAndKeepIds) {
  const std::string path = Write("docs.jsonl", "{\"_id\": 1, \"a\": \"x\"}\n\n{\"_id\": {\"$numberLong\": \"2\"}}\r\n");
  StatusOr<DocumentSet> docs = ReadDocuments(path);
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ(Json(docs->doc(0)), R"({ "_id" : 1, "a" : "x" })");
  EXPECT_EQ(Json(docs->doc(1)), R"({ "_id" : 2 })");
  EXPECT_EQ(docs->Where(1), path + ":3");
}

TEST_F(LoadInputTest, MalformedJsonNamesFileAndLine) {
  const std::string path = Write("bad.json", "{\"a\": 1}\n{\"a\": 2}\n{\"a\": \n");
  StatusOr<DocumentSet> docs = ReadDocuments(path);
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(docs.status().message().rfind(path + ":3: ", 0), 0u) << docs.status().message();
  StatusOr<DocumentSet> array = ReadDocuments(Write("array.jsonl", "[1, 2]\n"));
  ASSERT_FALSE(array.ok());
  EXPECT_NE(array.status().message().find(":1: expected a JSON object"), std::string::npos);
}

// bson_init_from_json would keep the first document and drop the second without a word.
TEST_F(LoadInputTest, LineWithTwoDocumentsIsRefusedWithFileAndLine) {
  const std::string path = Write("two.jsonl", "{\"_id\": 1}\n{\"_id\": 2} {\"_id\": 3}\n");
  StatusOr<DocumentSet> docs = ReadDocuments(path);
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(docs.status().message().rfind(path + ":2: ", 0), 0u) << docs.status().message();
  EXPECT_NE(docs.status().message().find("more than one JSON document"), std::string::npos) << docs.status().message();
}

TEST_F(LoadInputTest, DocumentsWithoutIdGetAnObjectIdFirst) {
  StatusOr<DocumentSet> docs = ReadDocuments(Write("noid.jsonl", "{\"a\": 1}\n"));
  ASSERT_TRUE(docs.ok());
  bson_t b;
  ASSERT_TRUE(bson_init_static(&b, reinterpret_cast<const uint8_t*>(docs->doc(0).data()), docs->doc(0).size()));
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init(&it, &b) && bson_iter_next(&it));
  EXPECT_STREQ(bson_iter_key(&it), "_id");
  EXPECT_TRUE(BSON_ITER_HOLDS_OID(&it));
}

TEST_F(LoadInputTest, TextIsOneDocumentPerLineNumberedFromOne) {
  StatusOr<DocumentSet> docs = ReadDocuments(Write("book.txt", "first line\nsecond\r\n\nlast"));
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 4u);
  EXPECT_EQ(Json(docs->doc(0)), R"({ "_id" : 1, "text" : "first line" })");
  EXPECT_EQ(Json(docs->doc(1)), R"({ "_id" : 2, "text" : "second" })");
  EXPECT_EQ(Json(docs->doc(2)), R"({ "_id" : 3, "text" : "" })");
  EXPECT_EQ(Json(docs->doc(3)), R"({ "_id" : 4, "text" : "last" })");
  StatusOr<DocumentSet> latin1 = ReadDocuments(Write("latin1.txt", "ok\ncaf\xe9\n"));
  ASSERT_FALSE(latin1.ok());
  EXPECT_NE(latin1.status().message().find("latin1.txt:2: not UTF-8"), std::string::npos);
}

TEST_F(LoadInputTest, BsonFilesAreConcatenatedDocuments) {
  std::string bytes;
  for (int i = 1; i <= 3; ++i) {
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_INT32(&doc, "_id", i);
    bytes.append(reinterpret_cast<const char*>(bson_get_data(&doc)), doc.len);
    bson_destroy(&doc);
  }
  StatusOr<DocumentSet> docs = ReadDocuments(Write("dump.bson", bytes));
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ(Json(docs->doc(2)), R"({ "_id" : 3 })");
  StatusOr<DocumentSet> damaged = ReadDocuments(Write("damaged.bson", bytes + std::string("\x20\x00\x00\x00\x01", 5)));
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(damaged.status().message().find("damaged after document 3"), std::string::npos) << damaged.status().message();
  StatusOr<DocumentSet> trailing = ReadDocuments(Write("trailing.bson", bytes + "x"));
  ASSERT_FALSE(trailing.ok());
}

TEST_F(LoadInputTest, MissingFileAndDirectory) {
  EXPECT_EQ(ReadDocuments(dir_ + "/nope.jsonl").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadDocuments(dir_).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace aviary::loader
