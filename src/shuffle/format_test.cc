#include "shuffle/format.h"

#include <random>
#include <string>

#include "gtest/gtest.h"
#include "shuffle/map_file.h"
#include "shuffle/test_util.h"

namespace aviary::shuffle {
namespace {

using testing::ExtractSegment;
using testing::Pairs;
using testing::ReadSegmentFile;
using testing::ScratchDir;
using testing::StrKey;

TEST(VarintTest, RoundTripsAndRejectsTruncation) {
  for (uint32_t v : {0u, 1u, 127u, 128u, 300u, 1u << 21, 0xffffffffu}) {
    char buf[5];
    const char* end = EncodeVarint32(buf, v);
    uint32_t got = 0;
    EXPECT_EQ(DecodeVarint32(buf, end, &got), end);
    EXPECT_EQ(got, v);
    if (end - buf > 1) {
      EXPECT_EQ(DecodeVarint32(buf, end - 1, &got), nullptr);
    }
  }
}

// Writes `per_partition[p]` into partition p of a map file at `path`.
void WriteMapFile(const std::string& path, const std::vector<Pairs>& per_partition, bool compress) {
  auto writer = MapFileWriter::Open(Env::Default(), path, static_cast<uint32_t>(per_partition.size()), compress);
  ASSERT_TRUE(writer.ok());
  for (uint32_t p = 0; p < per_partition.size(); ++p) {
    for (const auto& [k, v] : per_partition[p]) ASSERT_TRUE((*writer)->Add(p, k, v).ok());
  }
  ASSERT_TRUE((*writer)->Finish().ok());
}

Pairs ManyRecords(int n, std::mt19937* rng) {
  Pairs pairs;
  for (int i = 0; i < n; ++i) {
    char key[16];
    snprintf(key, sizeof key, "k%08d", i);
    std::string value(1 + (*rng)() % 40, 'v');
    value[0] = static_cast<char>(Type::kString);
    if ((*rng)() % 3 == 0) {
      for (char& c : value) c = static_cast<char>((*rng)());  // incompressible
      value[0] = static_cast<char>(Type::kBinary);
    }
    pairs.emplace_back(StrKey(key), value);
  }
  return pairs;
}

class MapFileTest : public ::testing::TestWithParam<bool> {};

TEST_P(MapFileTest, SegmentsRoundTrip) {
  ScratchDir dir;
  std::mt19937 rng(1);
  // Partition 0 spans many blocks, 1 is empty, 3 holds one record bigger than a block.
  const std::vector<Pairs> input = {ManyRecords(20000, &rng), {}, ManyRecords(3, &rng),
                                    {{StrKey("big"), StrKey(std::string(300000, 'x'))}}};
  const std::string path = dir.File("map.out");
  WriteMapFile(path, input, GetParam());
  uint64_t end = 0;
  for (uint32_t p = 0; p < input.size(); ++p) {
    auto range = LocatePartition(Env::Default(), path, p);
    ASSERT_TRUE(range.ok()) << range.status().ToString();
    EXPECT_EQ(range->offset, end);  // back to back
    end = range->offset + range->length;
    const std::string segment = dir.File("seg" + std::to_string(p));
    ExtractSegment(path, p, segment);
    Pairs got;
    ASSERT_TRUE(ReadSegmentFile(segment, &got).ok());
    EXPECT_EQ(got, input[p]);
  }
  EXPECT_EQ(LocatePartition(Env::Default(), path, 1)->length, kBlockHeaderSize);  // empty: end marker only
}

INSTANTIATE_TEST_SUITE_P(Compression, MapFileTest, ::testing::Bool());

// Incompressible blocks make the writer stop trying LZ4 for a while, but compressible data
// after them is compressed again, and everything reads back.
TEST(MapFileTest, CompressionBacksOffAndComesBack) {
  ScratchDir dir;
  std::mt19937 rng(2);
  Pairs pairs;
  std::string noise_bytes;
  for (int i = 0; i < 4000; ++i) {  // about 4 MB of random values: 60-odd blocks
    std::string value(1000, '\0');
    for (char& c : value) c = static_cast<char>(rng());
    value[0] = static_cast<char>(Type::kBinary);
    char key[16];
    snprintf(key, sizeof key, "a%08d", i);
    pairs.emplace_back(StrKey(key), value);
  }
  for (int i = 0; i < 4000; ++i) {  // then 4 MB that shrink tenfold
    char key[16];
    snprintf(key, sizeof key, "b%08d", i);
    pairs.emplace_back(StrKey(key), StrKey(std::string(1000, 'z')));
  }
  const std::string path = dir.File("map.out");
  WriteMapFile(path, {pairs}, /*compress=*/true);
  const uint64_t size = *Env::Default()->GetFileSize(path);
  EXPECT_LT(size, 4000u * 1030 + 4000u * 1030 / 4);  // the second half was compressed
  const std::string segment = dir.File("seg0");
  ExtractSegment(path, 0, segment);
  Pairs got;
  ASSERT_TRUE(ReadSegmentFile(segment, &got).ok());
  EXPECT_EQ(got, pairs);
}

class CorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 rng(2);
    WriteMapFile(map_, {ManyRecords(5000, &rng), ManyRecords(10, &rng)}, true);
    ExtractSegment(map_, 0, segment_);
    ASSERT_TRUE(ReadFileToString(Env::Default(), segment_, &bytes_).ok());
  }
  Status ReadWith(const std::string& bytes) {
    EXPECT_TRUE(WriteFileAtomically(Env::Default(), segment_, bytes).ok());
    Pairs pairs;
    return ReadSegmentFile(segment_, &pairs);
  }

  ScratchDir dir_;
  const std::string map_ = dir_.File("map.out");
  const std::string segment_ = dir_.File("segment");
  std::string bytes_;
};

TEST_F(CorruptionTest, FlippedByteIsDataLoss) {
  std::string bad = bytes_;
  bad[bad.size() / 2] ^= 0x5a;
  Status s = ReadWith(bad);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find(segment_), std::string::npos);
  EXPECT_NE(s.message().find("offset"), std::string::npos);
}

TEST_F(CorruptionTest, TruncationIsDataLossAtEveryCut) {
  for (size_t cut : {size_t{0}, size_t{5}, bytes_.size() / 2, bytes_.size() - kBlockHeaderSize, bytes_.size() - 1}) {
    Status s = ReadWith(bytes_.substr(0, cut));
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << "cut at " << cut << ": " << s.ToString();
  }
  EXPECT_TRUE(ReadWith(bytes_).ok());
}

TEST_F(CorruptionTest, TrailingBytesAreDataLoss) {
  EXPECT_EQ(ReadWith(bytes_ + "x").code(), StatusCode::kDataLoss);
}

TEST_F(CorruptionTest, LocatePartitionChecksTrailerAndIndex) {
  std::string file;
  ASSERT_TRUE(ReadFileToString(Env::Default(), map_, &file).ok());
  auto locate = [&](const std::string& bytes, uint32_t p) {
    EXPECT_TRUE(WriteFileAtomically(Env::Default(), map_, bytes).ok());
    return LocatePartition(Env::Default(), map_, p).status();
  };
  EXPECT_TRUE(locate(file, 1).ok());
  EXPECT_EQ(locate(file, 2).code(), StatusCode::kInvalidArgument);
  std::string bad_magic = file;
  bad_magic.back() = 'X';
  EXPECT_EQ(locate(bad_magic, 0).code(), StatusCode::kDataLoss);
  std::string bad_index = file;
  bad_index[bad_index.size() - kTrailerSize - 3] ^= 1;
  EXPECT_EQ(locate(bad_index, 0).code(), StatusCode::kDataLoss);
  EXPECT_EQ(locate(file.substr(0, file.size() - 1), 0).code(), StatusCode::kDataLoss);
  EXPECT_EQ(locate(file.substr(0, 10), 0).code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace aviary::shuffle
