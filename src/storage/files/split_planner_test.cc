#include "storage/files/split_planner.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace aviary {
namespace {

TEST(SplitCountTest, FollowsDesiredButNeverExceedsBytes) {
  EXPECT_EQ(SplitCount(0, 0), 0u);
  EXPECT_EQ(SplitCount(0, 8), 0u);
  EXPECT_EQ(SplitCount(100, 7), 7u);
  EXPECT_EQ(SplitCount(5, 10), 5u);
  EXPECT_EQ(SplitCount(1, 0), 1u);
  EXPECT_EQ(SplitCount(kDefaultSplitBytes, 0), 1u);
  EXPECT_EQ(SplitCount(kDefaultSplitBytes + 1, 0), 2u);
  EXPECT_EQ(SplitCount(10 * kDefaultSplitBytes, 0), 10u);
}

// Whole rounds of the live slots, at most 160 MiB and at least 1 MiB a task.
TEST(DefaultSplitBoundariesTest, HalfOfWhatIsLeftEachRoundFrom128DownTo2MiB) {
  constexpr uint64_t kMiB = 1 << 20;
  EXPECT_EQ(DefaultSplitBoundaries(0, 2), (std::vector<uint64_t>{0}));
  EXPECT_EQ(DefaultSplitBoundaries(1000, 2), (std::vector<uint64_t>{0, 1000}));
  EXPECT_EQ(DefaultSplitBoundaries(3 * kMiB, 2), (std::vector<uint64_t>{0, 2 * kMiB, 3 * kMiB}));
  // 256 MiB on 2 slots: 64, 64, 32, 32, 16, 16, 8, 8, 4, 4, 2, 2, 2, 2 MiB.
  std::vector<uint64_t> sizes;
  const std::vector<uint64_t> bounds = DefaultSplitBoundaries(256 * kMiB, 2);
  for (size_t i = 1; i < bounds.size(); ++i) sizes.push_back((bounds[i] - bounds[i - 1]) / kMiB);
  EXPECT_EQ(sizes, (std::vector<uint64_t>{64, 64, 32, 32, 16, 16, 8, 8, 4, 4, 2, 2, 2, 2}));
  for (uint64_t total : {uint64_t{1}, 5 * kMiB + 3, 1000 * kMiB + 7, 4096 * kMiB}) {
    for (uint32_t slots : {0u, 1u, 2u, 7u}) {
      const std::vector<uint64_t> b = DefaultSplitBoundaries(total, slots);
      ASSERT_GE(b.size(), 2u);
      EXPECT_EQ(b.front(), 0u);
      EXPECT_EQ(b.back(), total);
      for (size_t i = 1; i < b.size(); ++i) {
        EXPECT_LT(b[i - 1], b[i]) << total << " " << slots;
        EXPECT_LE(b[i] - b[i - 1], 128 * kMiB) << "a failure repeats at most 128 MiB of reading";
      }
      // The 128 MiB ones, then a few rounds: not thousands of splits.
      EXPECT_LE(b.size(), 2 + total / (128 * kMiB) + 2 * std::max<uint32_t>(slots, 1) * 12u) << total << " " << slots;
    }
  }
}

TEST(CutIntoSplitsTest, SingleFile) {
  std::vector<rpc::InputSplit> splits = CutIntoSplits({{"a", 10}}, 3);
  ASSERT_EQ(splits.size(), 3u);
  const uint64_t expected[][2] = {{0, 3}, {3, 6}, {6, 10}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(splits[i].index(), static_cast<uint32_t>(i));
    ASSERT_EQ(FileRanges(splits[i]).ranges_size(), 1);
    EXPECT_EQ(FileRanges(splits[i]).ranges(0).path(), "a");
    EXPECT_EQ(FileRanges(splits[i]).ranges(0).start(), expected[i][0]);
    EXPECT_EQ(FileRanges(splits[i]).ranges(0).end(), expected[i][1]);
    EXPECT_EQ(splits[i].estimated_bytes(), expected[i][1] - expected[i][0]);
  }
  EXPECT_EQ(splits[1].description(), "a@3+3");
}

TEST(CutIntoSplitsTest, SplitSpansFilesAndSkipsEmptyOnes) {
  std::vector<rpc::InputSplit> splits = CutIntoSplits({{"a", 4}, {"empty", 0}, {"b", 4}}, 2);
  ASSERT_EQ(splits.size(), 2u);
  ASSERT_EQ(FileRanges(splits[0]).ranges_size(), 1);
  EXPECT_EQ(FileRanges(splits[0]).ranges(0).path(), "a");
  ASSERT_EQ(FileRanges(splits[1]).ranges_size(), 1);
  EXPECT_EQ(FileRanges(splits[1]).ranges(0).path(), "b");

  splits = CutIntoSplits({{"a", 4}, {"empty", 0}, {"b", 4}}, 1);
  ASSERT_EQ(splits.size(), 1u);
  ASSERT_EQ(FileRanges(splits[0]).ranges_size(), 2);
  EXPECT_EQ(FileRanges(splits[0]).ranges(1).path(), "b");
  EXPECT_EQ(FileRanges(splits[0]).ranges(1).end(), 4u);
}

TEST(CutIntoSplitsTest, NoSplitsForNoBytes) {
  EXPECT_TRUE(CutIntoSplits({{"a", 0}, {"b", 0}}, 0).empty());
}

TEST(CutIntoSplitsTest, HugeSizesDoNotOverflow) {
  const uint64_t big = uint64_t{1} << 62;
  std::vector<rpc::InputSplit> splits = CutIntoSplits({{"a", big}, {"b", big}}, 3);
  ASSERT_EQ(splits.size(), 3u);
  uint64_t sum = 0;
  for (const auto& s : splits) sum += s.estimated_bytes();
  EXPECT_EQ(sum, 2 * big);
}

// Every byte of every file lands in exactly one split, splits are contiguous and balanced.
TEST(CutIntoSplitsTest, RandomInputsAreCoveredExactlyOnce) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 500; ++round) {
    std::vector<InputFile> files;
    uint64_t total = 0;
    const int n = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
      const uint64_t size = rng() % 3 == 0 ? 0 : rng() % 50;
      files.push_back({"f" + std::to_string(i), size});
      total += size;
    }
    const uint64_t count = SplitCount(total, static_cast<uint32_t>(rng() % 60));
    std::vector<rpc::InputSplit> splits = CutIntoSplits(files, count);
    ASSERT_EQ(splits.size(), count);
    std::map<std::string, uint64_t> next;  // per file: where the next range must start
    uint64_t min_size = UINT64_MAX, max_size = 0;
    for (const rpc::InputSplit& split : splits) {
      uint64_t bytes = 0;
      const files::FileSplit ranges = FileRanges(split);
      for (const files::FileRange& r : ranges.ranges()) {
        EXPECT_EQ(r.start(), next[r.path()]) << r.path();
        EXPECT_LT(r.start(), r.end());
        next[r.path()] = r.end();
        bytes += r.end() - r.start();
      }
      EXPECT_EQ(bytes, split.estimated_bytes());
      min_size = std::min(min_size, bytes);
      max_size = std::max(max_size, bytes);
    }
    for (const InputFile& f : files) EXPECT_EQ(next[f.path], f.size) << f.path;
    if (count > 0) {
      EXPECT_LE(max_size - min_size, 1u);
    }
  }
}

}  // namespace
}  // namespace aviary
