// The radix sort of table slots must order exactly like the comparison it replaces.
#include "shuffle/slot_sort.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "shuffle/hash.h"
#include "shuffle/key.h"

namespace aviary::shuffle {
namespace {

class SlotMaker {
 public:
  // An inline slot when the key fits, else one pointing at an Entry (with its prefix cached).
  Slot Make(ValueView key, uint32_t partition) {
    Slot s;
    std::memset(&s, 0, sizeof s);
    if (KeyTable::FitsInline(key)) {
      s.meta = static_cast<uint8_t>(key.size() + 1);
      s.key[0] = static_cast<char>(key.type());
      if (key.size() != 0) std::memcpy(s.key + 1, key.data(), key.size());
      s.sum_bits = static_cast<int64_t>(rng_());
    } else {
      storage_.push_back(std::make_unique<char[]>(sizeof(Entry) + 1 + key.size()));
      auto* e = reinterpret_cast<Entry*>(storage_.back().get());
      e->key_len = static_cast<uint32_t>(EncodeKey(key, e->key_data()));
      s.meta = Slot::kOutOfLine;
      s.key[0] = static_cast<char>(key.type());
      std::memcpy(s.key + 3, &e, sizeof e);
      s.sum_bits = static_cast<int64_t>(KeyPrefix(e->key()));
    }
    s.tag = partition;
    return s;
  }

 private:
  std::vector<std::unique_ptr<char[]>> storage_;
  std::mt19937_64 rng_{9};
};

std::vector<std::string> Keys(const std::vector<Slot>& slots) {
  std::vector<std::string> out;
  for (const Slot& s : slots) out.push_back(std::to_string(s.tag) + ":" + std::string(s.encoded_key()));
  return out;
}

void ExpectSortsLikeTheComparison(std::vector<Slot> slots, uint32_t partitions) {
  std::vector<Slot> expected = slots;
  std::stable_sort(expected.begin(), expected.end(), SlotLess);
  SortSlots(slots.data(), slots.size(), partitions);
  ASSERT_EQ(Keys(slots), Keys(expected));
  for (size_t i = 1; i < slots.size(); ++i) {
    ASSERT_FALSE(SlotLess(slots[i], slots[i - 1])) << i;
  }
}

TEST(SlotSortTest, ManyWordsAcrossPartitions) {
  SlotMaker maker;
  std::mt19937 rng(1);
  std::vector<Slot> slots;
  std::vector<std::string> seen;
  for (int i = 0; i < 100000; ++i) {
    std::string w(1 + rng() % 12, 'a');
    for (char& c : w) c = static_cast<char>((rng() % 3 == 0 ? 'A' : 'a') + rng() % 26);
    const ValueView key = ValueView::String(w);
    slots.push_back(maker.Make(key, static_cast<uint32_t>(DefaultPartition(HashKey(key), 7))));
  }
  ExpectSortsLikeTheComparison(slots, 7);
}

// Keys of one type take the partition and their first byte in one pass, up to 64 partitions;
// beyond, and with a second type, the passes stay apart. All must sort alike.
TEST(SlotSortTest, OneTypeOrTwoAroundTheFusedPartitionLimit) {
  for (const uint32_t partitions : {1u, 2u, 64u, 65u}) {
    for (const bool second_type : {false, true}) {
      SlotMaker maker;
      std::mt19937 rng(partitions);
      std::vector<Slot> slots;
      for (int i = 0; i < 20000; ++i) {
        std::string w(rng() % 10, 'a');
        for (char& c : w) c = static_cast<char>(rng() % 2 ? 'a' + rng() % 26 : rng() % 256);  // every first byte
        const ValueView key = ValueView::String(w);
        slots.push_back(maker.Make(key, static_cast<uint32_t>(DefaultPartition(HashKey(key), partitions))));
      }
      const int64_t one = 1;
      if (second_type) slots.push_back(maker.Make(ValueView::Int64(one), 0));
      std::shuffle(slots.begin(), slots.end(), rng);
      ExpectSortsLikeTheComparison(slots, partitions);
    }
  }
}

TEST(SlotSortTest, TiesBeyondThePrefixAndEveryKeyKind) {
  SlotMaker maker;
  std::mt19937 rng(2);
  std::vector<Slot> slots;
  std::vector<std::string> strings;
  // Long shared prefixes (the radix digits run out), embedded NULs (zero padding ties), empty.
  for (int i = 0; i < 3000; ++i) {
    std::string s = std::string(rng() % 20, 'p') + std::string(rng() % 3, '\0') + std::to_string(rng() % 50);
    if (rng() % 10 == 0) s.clear();
    strings.push_back(s);
  }
  std::vector<int64_t> ints;
  std::vector<double> doubles;
  for (int i = 0; i < 2000; ++i) {
    ints.push_back(static_cast<int64_t>(rng()) * (rng() % 2 ? 1 : -1) * 1000003);
    doubles.push_back(static_cast<double>(static_cast<int32_t>(rng())) / 7.0);
  }
  ints.push_back(std::numeric_limits<int64_t>::min());
  ints.push_back(std::numeric_limits<int64_t>::max());
  doubles.push_back(-0.0);
  doubles.push_back(0.0);
  for (const std::string& s : strings) slots.push_back(maker.Make(ValueView::String(s), rng() % 3));
  for (const int64_t& i : ints) slots.push_back(maker.Make(ValueView::Int64(i), rng() % 3));
  for (const double& d : doubles) slots.push_back(maker.Make(ValueView::Double(d), rng() % 3));
  std::shuffle(slots.begin(), slots.end(), rng);
  ExpectSortsLikeTheComparison(slots, 3);
}

TEST(SlotSortTest, SmallAndDegenerateInputs) {
  SlotMaker maker;
  ExpectSortsLikeTheComparison({}, 1);
  ExpectSortsLikeTheComparison({maker.Make(ValueView::String("x"), 0)}, 1);
  std::vector<Slot> same;  // one partition, one type, one prefix: every radix level is skipped
  for (int i = 0; i < 500; ++i) same.push_back(maker.Make(ValueView::String("samesame" + std::to_string(i)), 0));
  ExpectSortsLikeTheComparison(same, 1);
  std::vector<Slot> many_partitions;
  for (int i = 0; i < 5000; ++i) {
    many_partitions.push_back(maker.Make(ValueView::String("k" + std::to_string(i % 97)), static_cast<uint32_t>(i % 1000)));
  }
  ExpectSortsLikeTheComparison(many_partitions, 1000);
}

}  // namespace
}  // namespace aviary::shuffle
