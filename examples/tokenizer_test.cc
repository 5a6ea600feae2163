// The word splitter's fast (SIMD) path must give exactly the words of the byte-at-a-time one.
#include "tokenizer.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace {

std::vector<std::string> Fast(std::string_view text) {
  std::vector<std::string> words;
  aviary_examples::ForEachWord(text, [&](std::string_view w) { words.emplace_back(w); });
  return words;
}

std::vector<std::string> Slow(std::string_view text) {
  std::vector<std::string> words;
  aviary_examples::ForEachWordScalar(text, [&](std::string_view w) { words.emplace_back(w); });
  return words;
}

TEST(TokenizerTest, Basics) {
  EXPECT_EQ(Fast(""), std::vector<std::string>{});
  EXPECT_EQ(Fast("  ,. "), std::vector<std::string>{});
  EXPECT_EQ(Fast("Hello, world!"), (std::vector<std::string>{"Hello", "world"}));
  EXPECT_EQ(Fast("a"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(Fast("don't stop-me now2day"), (std::vector<std::string>{"don", "t", "stop", "me", "now", "day"}));
  // Bytes next to the letters in ASCII, and bytes >= 0x80 (UTF-8), are not letters.
  EXPECT_EQ(Fast("@A[Z`a{z\xc3\xa9t\x80"), (std::vector<std::string>{"A", "Z", "a", "z", "t"}));
}

TEST(TokenizerTest, WordsAcrossBlockBoundaries) {
  for (size_t n : {63, 64, 65, 127, 128, 129, 200}) {
    const std::string all_letters(n, 'x');
    EXPECT_EQ(Fast(all_letters), std::vector<std::string>{all_letters}) << n;
    for (size_t cut = 0; cut < n; ++cut) {
      std::string text = all_letters;
      text[cut] = ' ';
      EXPECT_EQ(Fast(text), Slow(text)) << n << " " << cut;
    }
  }
}

TEST(TokenizerTest, AgreesWithTheByteLoopOnRandomText) {
  std::mt19937 rng(7);
  const std::string alphabet("abcXYZ @`[{.,\n\0\x80\xff", 17);
  for (int round = 0; round < 5000; ++round) {
    std::string text(rng() % 300, ' ');
    const bool dense = rng() % 2;
    for (char& c : text) c = dense && rng() % 4 ? 'q' : alphabet[rng() % alphabet.size()];
    ASSERT_EQ(Fast(text), Slow(text)) << round;
  }
  // Every byte value, in every position of a block.
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (size_t shift = 0; shift < 64; ++shift) {
    const std::string text = std::string(shift, 'k') + bytes + bytes;
    ASSERT_EQ(Fast(text), Slow(text)) << shift;
  }
}

}  // namespace
