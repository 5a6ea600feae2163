#include "demo/demo_bible.h"

#include <gtest/gtest.h>

namespace aviary::demo {
namespace {

TEST(ParseVerse, BooksChaptersVerses) {
  Verse v;
  ASSERT_TRUE(ParseVerse("Ge1:1 In the beginning God created the heaven and the earth.", &v));
  EXPECT_EQ(v.ref, "Ge1:1");
  EXPECT_EQ(v.book, "Ge");
  EXPECT_EQ(v.chapter, 1);
  EXPECT_EQ(v.verse, 1);
  EXPECT_EQ(v.text, "In the beginning God created the heaven and the earth.");
  ASSERT_TRUE(ParseVerse("1Sm3:10 And the LORD came", &v));
  EXPECT_EQ(v.book, "1Sm");
  EXPECT_EQ(v.chapter, 3);
  EXPECT_EQ(v.verse, 10);
  ASSERT_TRUE(ParseVerse("Rev22:21 The grace of our Lord Jesus Christ be with you all. Amen.", &v));
  EXPECT_EQ(v.book, "Rev");
  EXPECT_EQ(v.chapter, 22);
}

TEST(ParseVerse, RefusesWhatIsNotAVerse) {
  Verse v;
  EXPECT_FALSE(ParseVerse("", &v));
  EXPECT_FALSE(ParseVerse("Hello world", &v));
  EXPECT_FALSE(ParseVerse("Ge1 text", &v));
  EXPECT_FALSE(ParseVerse("Ge1:x text", &v));
  EXPECT_FALSE(ParseVerse("1:1 text", &v));
  EXPECT_FALSE(ParseVerse("Ge1:1x text", &v));
  EXPECT_FALSE(ParseVerse("Ge0:1 text", &v));
}

TEST(AddVerse, BuildsTheDemoDocument) {
  loader::DocumentSet docs("bible", true);
  Verse v;
  ASSERT_TRUE(ParseVerse("Jn3:16 For God so loved the world", &v));
  AddVerse(v, 7, &docs);
  ASSERT_EQ(docs.size(), 1u);
  bson_t b;
  ASSERT_TRUE(bson_init_static(&b, reinterpret_cast<const uint8_t*>(docs.doc(0).data()), docs.doc(0).size()));
  char* json = bson_as_relaxed_extended_json(&b, nullptr);
  EXPECT_STREQ(json, R"({ "_id" : "Jn3:16", "book" : "Jn", "chapter" : 3, "verse" : 16, "text" : "For God so loved the world" })");
  bson_free(json);
  EXPECT_EQ(docs.Where(0), "bible:7");
}

}  // namespace
}  // namespace aviary::demo
