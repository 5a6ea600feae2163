// The collector's hash table on its own: inline and out-of-line slots, growth without rehashing,
// the in-slot sum, compaction and the sort prefix; and the table hash.
#include "shuffle/key_table.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "shuffle/hash.h"
#include "shuffle/key.h"

namespace aviary::shuffle {
namespace {

// Keeps out-of-line entries alive for a test.
class Entries {
 public:
  Entry* Make(ValueView key) {
    storage_.push_back(std::make_unique<char[]>(sizeof(Entry) + EncodedKeySize(key) + 8));
    auto* e = reinterpret_cast<Entry*>(storage_.back().get());
    e->key_len = static_cast<uint32_t>(EncodeKey(key, e->key_data()));
    e->partition = 0;
    e->sum.Clear();
    return e;
  }

 private:
  std::vector<std::unique_ptr<char[]>> storage_;
};

Sum One() {
  Sum s;
  s.Clear();
  s.Add(ValueView::Int64(int64_t{1}));
  return s;
}

// Adds 1 to `word`'s count the way the collector does, inline when it fits.
void Count(KeyTable* table, Entries* entries, std::string_view word) {
  const ValueView key = ValueView::String(word);
  const uint64_t hash = TableHash(key);
  const bool in = KeyTable::FitsInline(key);
  Slot* s = table->Find(hash, key, in);
  if (s->empty()) {
    if (in) {
      table->InsertInline(s, hash, key, One());
    } else {
      Entry* e = entries->Make(key);
      e->sum.Add(ValueView::Int64(int64_t{1}));
      table->InsertEntry(s, hash, e);
    }
    if (table->full()) table->Grow();
    return;
  }
  if (in) {
    ASSERT_TRUE(s->AddToSum(ValueView::Int64(int64_t{1})));
  } else {
    ASSERT_TRUE(s->entry()->sum.Add(ValueView::Int64(int64_t{1})));
  }
}

int64_t SumOf(const Slot& s) {
  char out[Sum::kEncodedSize];
  if (s.is_inline()) {
    s.sum().EncodeTo(out);
  } else {
    s.entry()->sum.EncodeTo(out);
  }
  return DecodeValue({out, sizeof out}).as_int();
}

TEST(KeyTableTest, SlotIsHalfACacheLine) {
  EXPECT_EQ(sizeof(Slot), 32u);
  EXPECT_EQ(alignof(Slot), 32u);
  EXPECT_TRUE(KeyTable::FitsInline(ValueView::String(std::string(18, 'x'))));
  EXPECT_FALSE(KeyTable::FitsInline(ValueView::String(std::string(19, 'x'))));
}

TEST(KeyTableTest, CountsShortAndLongKeysThroughGrowth) {
  KeyTable table(16);
  Entries entries;
  std::mt19937 rng(3);
  std::map<std::string, int64_t> expected;
  for (int i = 0; i < 50000; ++i) {
    // Lengths 0..40: inline up to 18 bytes, out of line beyond.
    const uint32_t rank = static_cast<uint32_t>(std::pow(rng() % 10000 / 10000.0, 3) * 5000);
    const std::string word = std::string(rank % 41, 'a' + rank % 26).substr(0, rank % 41) + std::to_string(rank);
    Count(&table, &entries, word);
    ++expected[word];
  }
  EXPECT_GT(table.capacity(), 16u);
  EXPECT_EQ(table.size(), expected.size());
  EXPECT_LE(table.size(), table.capacity() / 4 * 3 + 1);
  // Every key is found again, with its count.
  for (const auto& [word, n] : expected) {
    const ValueView key = ValueView::String(word);
    Slot* s = table.Find(TableHash(key), key, KeyTable::FitsInline(key));
    ASSERT_FALSE(s->empty()) << word;
    EXPECT_EQ(s->encoded_key(), std::string(1, static_cast<char>(Type::kString)) + word);
    EXPECT_EQ(SumOf(*s), n) << word;
  }
  // A key that was never counted is not found.
  const ValueView absent = ValueView::String("never-seen");
  EXPECT_TRUE(table.Find(TableHash(absent), absent, true)->empty());
}

// From 512 KiB a table grows in place (its pages move, its slots are rehashed where they are).
// Every key must be found again with its count through several such doublings: random homes,
// a crowd of homes in the last slots whose cluster wraps round to slot 0, and keys whose new
// home lies inside their old cluster (small homes, far displaced).
TEST(KeyTableTest, GrowingInPlaceKeepsEveryKeyIncludingWrappedClusters) {
  KeyTable table(1 << 14);
  std::mt19937_64 rng(7);
  std::vector<std::pair<std::string, uint64_t>> keys;
  for (int i = 0; i < 100000; ++i) {
    uint64_t hash = rng();
    if (i % 40 == 0) hash |= uint64_t{0xfffff000} << 32;  // home among the last slots at any size
    if (i % 40 == 1) hash &= (uint64_t{1} << 50) - 1;     // home among the first slots
    keys.emplace_back("k" + std::to_string(i), hash);
    const ValueView key = ValueView::String(keys.back().first);
    Slot* s = table.Find(hash, key, /*inline_key=*/true);
    ASSERT_TRUE(s->empty()) << i;
    Sum sum;
    sum.Clear();
    sum.Add(ValueView::Int64(int64_t{i}));
    table.InsertInline(s, hash, key, sum);
    if (table.full()) table.Grow();
  }
  EXPECT_EQ(table.capacity(), size_t{1} << 18);  // grew 16K -> 32K -> ... -> 256K
  EXPECT_EQ(table.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const ValueView key = ValueView::String(keys[i].first);
    const Slot* s = table.Find(keys[i].second, key, true);
    ASSERT_FALSE(s->empty()) << keys[i].first;
    EXPECT_EQ(SumOf(*s), static_cast<int64_t>(i)) << keys[i].first;
  }
}

TEST(KeyTableTest, EqualTagsDifferentKeysStayApart) {
  // Force one tag for every key: the table must tell them apart by their bytes.
  KeyTable table(16);
  const uint64_t hash = 0x1234567800000000ULL;
  std::vector<std::string> words = {"a", "b", "ab", "ba", "abcdefgh", "abcdefgi", "", "abcdefghijklmnopq"};
  for (const std::string& w : words) {
    const ValueView key = ValueView::String(w);
    Slot* s = table.Find(hash, key, true);
    ASSERT_TRUE(s->empty()) << w;
    table.InsertInline(s, hash, key, One());
  }
  for (const std::string& w : words) {
    const ValueView key = ValueView::String(w);
    Slot* s = table.Find(hash, key, true);
    ASSERT_FALSE(s->empty()) << w;
    EXPECT_EQ(s->inline_key().substr(1), w);
  }
  // The same bytes under another type are another key.
  const int64_t n = 0x6867666564636261;  // "abcdefgh" little-endian
  EXPECT_TRUE(table.Find(hash, ValueView::Int64(n), true)->empty());
}

TEST(KeyTableTest, InlineSumTurnsDoubleAndKeepsTheFlagApartFromTheLength) {
  KeyTable table(16);
  const ValueView key = ValueView::String("twelve-bytes");
  const uint64_t hash = TableHash(key);
  Slot* s = table.Find(hash, key, true);
  table.InsertInline(s, hash, key, One());
  EXPECT_TRUE(s->AddToSum(ValueView::Double(0.5)));
  EXPECT_TRUE(s->sum().is_double());
  EXPECT_EQ(s->inline_key().size(), 13u);  // the double flag does not change the length
  EXPECT_EQ(table.Find(hash, key, true), s);  // nor the match
  EXPECT_TRUE(s->AddToSum(ValueView::Int64(int64_t{2})));
  char out[Sum::kEncodedSize];
  s->sum().EncodeTo(out);
  EXPECT_EQ(DecodeValue({out, sizeof out}).as_double(), 3.5);
  EXPECT_FALSE(s->AddToSum(ValueView::String("x")));
  // Overflow of the int64 sum turns it into a double, as Sum does.
  const ValueView big = ValueView::String("big");
  Slot* b = table.Find(TableHash(big), big, true);
  Sum start;
  start.Clear();
  start.Add(ValueView::Int64(std::numeric_limits<int64_t>::max()));
  table.InsertInline(b, TableHash(big), big, start);
  EXPECT_TRUE(b->AddToSum(ValueView::Int64(int64_t{1})));
  EXPECT_TRUE(b->sum().is_double());
}

// Word count's fold adds only where the general path would add an int64 in place: a known
// key with an int64 sum that stays one. Everything else is left alone for the general path.
TEST(KeyTableTest, AddInt64IfExactAddsOnlyToAKnownExactSum) {
  KeyTable table(16);
  const auto fold = [&](std::string_view word, int64_t x) {
    const ShortKey k = LoadShortKey(word.data(), word.size());
    return table.AddInt64IfExact(ShortKeyHash(k, word.size(), Type::kString), Type::kString, word.size(), k, x);
  };
  const auto insert = [&](std::string_view word, ValueView first) {
    const ValueView key = ValueView::String(word);
    Sum sum;
    sum.Clear();
    sum.Add(first);
    table.InsertInline(table.Find(TableHash(key), key, true), TableHash(key), key, sum);
    return table.Find(TableHash(key), key, true);
  };
  EXPECT_FALSE(fold("absent", 1));
  Slot* counted = insert("counted", ValueView::Int64(int64_t{2}));
  EXPECT_TRUE(fold("counted", 3));
  EXPECT_EQ(counted->sum_bits, 5);
  EXPECT_FALSE(fold("counte", 1));  // a prefix is another key
  EXPECT_FALSE(fold("counted", std::numeric_limits<int64_t>::max()));  // would overflow
  EXPECT_EQ(counted->sum_bits, 5);
  Slot* halves = insert("halves", ValueView::Double(0.5));
  const int64_t bits = halves->sum_bits;
  EXPECT_FALSE(fold("halves", 1));  // a double sum: the general path adds as a double
  EXPECT_EQ(halves->sum_bits, bits);
  // Keys whose slots collide are told apart by their bytes, past the double-sum slot too.
  std::vector<std::string> words;
  for (int i = 0; i < 10; ++i) words.push_back("w" + std::to_string(i));  // 12 of the 16 slots in all
  for (const std::string& w : words) insert(w, ValueView::Int64(int64_t{1}));
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(fold(words[i], int64_t{i})) << i;
  for (int i = 0; i < 10; ++i) {
    const ValueView key = ValueView::String(words[i]);
    EXPECT_EQ(SumOf(*table.Find(TableHash(key), key, true)), 1 + i);
  }
}

TEST(KeyTableTest, CompactThenClearEmptiesTheTable) {
  KeyTable table(64);
  Entries entries;
  std::set<std::string> words;
  for (int i = 0; i < 40; ++i) {
    const std::string w = (i % 3 == 0 ? std::string(25, 'z') : "") + "w" + std::to_string(i);
    words.insert(w);
    Count(&table, &entries, w);
  }
  size_t n = 0;
  Slot* slots = table.Compact(&n);
  ASSERT_EQ(n, words.size());
  std::set<std::string> got;
  for (size_t i = 0; i < n; ++i) got.insert(std::string(slots[i].encoded_key().substr(1)));
  EXPECT_EQ(got, words);
  table.Clear(table.capacity());
  EXPECT_EQ(table.size(), 0u);
  const ValueView key = ValueView::String("w1");
  EXPECT_TRUE(table.Find(TableHash(key), key, true)->empty());
  table.Clear(16);
  EXPECT_EQ(table.capacity(), 16u);
}

TEST(KeyTableTest, PrefixOfInlineKeysOrdersLikeTheKeys) {
  KeyTable table(1024);
  std::vector<ValueView> keys;
  std::vector<std::string> strings = {"", "a", "a\x01", "ab", "abcdefgh", "abcdefgha", "b", "\xff", "zzzzzzzzzzzzzzzzzz"};
  const std::vector<int64_t> ints = {std::numeric_limits<int64_t>::min(), -5, -1, 0, 1, 7, std::numeric_limits<int64_t>::max()};
  const std::vector<double> doubles = {-1e300, -2.5, -0.0, 0.0, 1e-300, 3.0};
  for (const std::string& s : strings) keys.push_back(ValueView::String(s));
  for (const int64_t& i : ints) keys.push_back(ValueView::Int64(i));
  for (const double& d : doubles) keys.push_back(ValueView::Double(d));
  std::vector<const Slot*> slots;
  for (ValueView k : keys) {
    Slot* s = table.Find(TableHash(k), k, true);
    table.InsertInline(s, TableHash(k), k, One());
    slots.push_back(s);
  }
  for (const Slot* a : slots) {
    EXPECT_EQ(a->Prefix(), KeyPrefix(a->encoded_key()));
    for (const Slot* b : slots) {
      if (a->key[0] != b->key[0]) continue;  // the prefix orders keys of one type
      if (a->Prefix() < b->Prefix()) {
        EXPECT_LT(CompareKeys(a->encoded_key(), b->encoded_key()), 0);
      }
    }
  }
}

TEST(ShortKeyTest, WordsAreTheBytesZeroPaddedReadingNothingPastTheEnd) {
  // Each key sits at the very end of its own allocation: a load past it would be caught by
  // AddressSanitizer (the tests run under it in CI).
  for (size_t n = 0; n <= kShortKeyBytes; ++n) {
    for (int fill : {0x00, 0x61, 0xff}) {
      auto buffer = std::make_unique<char[]>(n + 1);
      char* key = buffer.get() + 1;
      for (size_t i = 0; i < n; ++i) key[i] = static_cast<char>(fill == 0x61 ? 0x61 + i : fill);
      const ShortKey k = LoadShortKey(key, n);
      char expected[16] = {};
      std::memcpy(expected, key, n);
      EXPECT_EQ(std::memcmp(k.bytes(), expected, 16), 0) << n << " bytes of " << fill;
    }
  }
}

TEST(ShortKeyTest, PaddedLoadGivesTheSameWordsWhateverFollowsTheKey) {
  // The bytes after the key are garbage that the masks must drop, at every length.
  for (size_t n = 0; n <= kShortKeyBytes; ++n) {
    for (int fill : {0x00, 0x61, 0xff}) {
      char buffer[2 * kShortKeyBytes];
      std::memset(buffer, 0xa5 ^ fill, sizeof buffer);
      for (size_t i = 0; i < n; ++i) buffer[i] = static_cast<char>(fill == 0x61 ? 0x61 + i : fill);
      const ShortKey padded = LoadPaddedShortKey(buffer, n);
      const ShortKey careful = LoadShortKey(buffer, n);
      EXPECT_EQ(padded.lo, careful.lo) << n << " bytes of " << fill;
      EXPECT_EQ(padded.hi, careful.hi) << n << " bytes of " << fill;
    }
  }
}

TEST(KeyTableTest, FindShortAgreesWithFind) {
  // Keys that are one another's zero-padded words ("a", "a\0") must stay apart by length; the
  // same bytes as another type by the type byte.
  KeyTable table(16);
  std::vector<std::pair<Type, std::string>> keys = {
      {Type::kString, ""},  {Type::kString, "a"},          {Type::kString, std::string("a\0", 2)},
      {Type::kString, "b"}, {Type::kString, "abcdefgh"}, {Type::kString, std::string("abcdefgh\0", 9)},
      {Type::kString, "abcdefghijklmnop"}, {Type::kString, "abcdefghijklmnoq"}, {Type::kBinary, "a"}};
  for (const auto& [type, bytes] : keys) {
    const ValueView key(type, bytes.data(), bytes.size());
    const ShortKey words = LoadShortKey(bytes.data(), bytes.size());
    const uint64_t hash = ShortKeyHash(words, bytes.size(), type);
    EXPECT_EQ(hash, TableHash(key));
    Slot* s = table.FindShort(hash, type, bytes.size(), words);
    ASSERT_TRUE(s->empty()) << bytes;
    ASSERT_EQ(s, table.Find(hash, key, true));
    table.InsertInline(s, hash, key, One());
    if (table.full()) table.Grow();
  }
  for (const auto& [type, bytes] : keys) {
    const ValueView key(type, bytes.data(), bytes.size());
    const ShortKey words = LoadShortKey(bytes.data(), bytes.size());
    Slot* s = table.FindShort(TableHash(key), type, bytes.size(), words);
    ASSERT_FALSE(s->empty()) << bytes;
    EXPECT_EQ(s, table.Find(TableHash(key), key, true));
    EXPECT_EQ(s->inline_key().substr(1), bytes);
  }
  // Forced onto one tag, they are still told apart by their words.
  KeyTable same_tag(16);
  const uint64_t hash = 0x1234567800000000ULL;
  for (const std::string& w : {std::string("x"), std::string("y"), std::string("x\0", 2)}) {
    Slot* s = same_tag.FindShort(hash, Type::kString, w.size(), LoadShortKey(w.data(), w.size()));
    ASSERT_TRUE(s->empty()) << w;
    same_tag.InsertInline(s, hash, ValueView::String(w), One());
  }
  EXPECT_EQ(same_tag.size(), 3u);
}

TEST(TableHashTest, SpreadsWordsOverSlotsAndTags) {
  // Short keys of every length 0..16 and longer ones: distinct keys, distinct tags (bar a rare
  // collision), and the top bits (the slot index) evenly used.
  std::set<uint32_t> tags;
  std::vector<int> buckets(256);
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const std::string w = std::string(static_cast<size_t>(i % 20), 'q') + std::to_string(i);
    const uint64_t h = TableHash(ValueView::String(w));
    tags.insert(static_cast<uint32_t>(h >> 32));
    ++buckets[h >> 56];
  }
  EXPECT_GT(tags.size(), static_cast<size_t>(n) - 20);
  for (int b : buckets) {
    EXPECT_GT(b, n / 256 / 2);
    EXPECT_LT(b, n / 256 * 2);
  }
  // Words alike but for a letter or two: every lowercase word of 1-4 letters (475,254) placed by
  // linear probing in 2^20 slots by the tag's top bits, as KeyTable does. Random placement at
  // this load (0.45) would displace a key by ~0.4 slots on average.
  std::vector<uint8_t> used(1 << 20);
  uint64_t keys = 0, displacement = 0;
  std::string w;
  const auto place = [&](const std::string& word) {
    size_t i = static_cast<uint32_t>(TableHash(ValueView::String(word)) >> 32) >> 12;
    while (used[i]) {
      i = (i + 1) & (used.size() - 1);
      ++displacement;
    }
    used[i] = 1;
    ++keys;
  };
  for (int len = 1; len <= 4; ++len) {
    w.assign(static_cast<size_t>(len), 'a');
    while (true) {
      place(w);
      int k = len - 1;
      while (k >= 0 && w[static_cast<size_t>(k)] == 'z') w[static_cast<size_t>(k--)] = 'a';
      if (k < 0) break;
      ++w[static_cast<size_t>(k)];
    }
  }
  EXPECT_EQ(keys, 475254u);
  EXPECT_LT(static_cast<double>(displacement) / static_cast<double>(keys), 0.6);

  // The type takes part; the same bytes as another type hash differently.
  const int64_t x = 0x6867666564636261;
  EXPECT_NE(TableHash(ValueView::Int64(x)), TableHash(ValueView::String("abcdefgh")));
  EXPECT_EQ(TableHash(ValueView::String("abc")), TableHash(ValueView::String(std::string("xabc").substr(1))));
}

}  // namespace
}  // namespace aviary::shuffle
