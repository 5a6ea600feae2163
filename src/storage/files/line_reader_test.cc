#include "storage/files/line_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace aviary {
namespace {

// An in-memory file that returns at most `max_read` bytes per read, and can fail reads.
class StringFile : public SequentialFile {
 public:
  explicit StringFile(std::string data, size_t max_read = SIZE_MAX) : data_(std::move(data)), max_read_(max_read) {}
  Status Read(size_t n, char* scratch, std::string_view* result) override {
    if (fail_reads) return IOError("reading mem: injected");
    n = std::min({n, max_read_, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, n, scratch);
    pos_ += n;
    *result = std::string_view(scratch, n);
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    pos_ = std::min<uint64_t>(pos_ + n, data_.size());
    return Status::OK();
  }
  bool fail_reads = false;

 private:
  std::string data_;
  size_t max_read_;
  size_t pos_ = 0;
};

struct Line {
  uint64_t offset;
  std::string text;
  bool operator==(const Line&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Line& l) { return os << l.offset << ":'" << l.text << "'"; }

// The obvious definition of the lines of `data`, to compare against.
std::vector<Line> ReferenceLines(const std::string& data) {
  std::vector<Line> lines;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    size_t stop = nl == std::string::npos ? data.size() : nl;
    std::string text = data.substr(pos, stop - pos);
    if (!text.empty() && text.back() == '\r') text.pop_back();
    lines.push_back({pos, text});
    pos = stop + 1;
  }
  return lines;
}

std::vector<Line> ReadRange(const std::string& data, uint64_t start, uint64_t end, size_t buffer, size_t max_read = SIZE_MAX) {
  StringFile file(data, max_read);
  std::string scratch(buffer, '\0');
  LineReader reader(&file, start, end, scratch.data(), scratch.size());
  std::vector<Line> lines;
  std::string_view line;
  uint64_t offset;
  while (reader.Next(&line, &offset)) lines.push_back({offset, std::string(line)});
  EXPECT_TRUE(reader.status().ok()) << reader.status().ToString();
  return lines;
}

TEST(LineReaderTest, WholeFile) {
  const std::string data = "alpha\nbeta\r\n\n\r\ngamma";
  std::vector<Line> expected = {{0, "alpha"}, {6, "beta"}, {12, ""}, {13, ""}, {15, "gamma"}};
  EXPECT_EQ(ReadRange(data, 0, data.size(), 1 << 20), expected);
  EXPECT_EQ(ReadRange(data, 0, data.size(), 1), expected);
  EXPECT_EQ(ReadRange(data, 0, data.size(), 4), expected);
}

TEST(LineReaderTest, TrailingNewlineMakesNoEmptyLine) {
  EXPECT_EQ(ReadRange("a\nb\n", 0, 4, 64), (std::vector<Line>{{0, "a"}, {2, "b"}}));
}

TEST(LineReaderTest, EmptyFileAndEmptyRange) {
  EXPECT_TRUE(ReadRange("", 0, 0, 64).empty());
  EXPECT_TRUE(ReadRange("abc\ndef\n", 2, 2, 64).empty());
}

TEST(LineReaderTest, LineBelongsToRangeHoldingItsFirstByte) {
  const std::string data = "aa\nbb\ncc\n";
  EXPECT_EQ(ReadRange(data, 0, 1, 64), (std::vector<Line>{{0, "aa"}}));  // reads past end
  EXPECT_TRUE(ReadRange(data, 1, 3, 64).empty());                       // no line starts in [1,3)
  EXPECT_EQ(ReadRange(data, 3, 4, 64), (std::vector<Line>{{3, "bb"}}));  // byte 2 is '\n'
  EXPECT_EQ(ReadRange(data, 1, 4, 64), (std::vector<Line>{{3, "bb"}}));
  EXPECT_EQ(ReadRange(data, 4, 9, 64), (std::vector<Line>{{6, "cc"}}));
}

TEST(LineReaderTest, LongLineAcrossManyChunks) {
  const std::string long_line(10000, 'x');
  const std::string data = "a\n" + long_line + "\nb";
  std::vector<Line> expected = {{0, "a"}, {2, long_line}, {10003, "b"}};
  EXPECT_EQ(ReadRange(data, 0, data.size(), 7), expected);
  EXPECT_EQ(ReadRange(data, 0, data.size(), 4096, 100), expected);  // short reads
  EXPECT_EQ(ReadRange(data, 3, data.size(), 7), (std::vector<Line>{{10003, "b"}}));
}

TEST(LineReaderTest, CarriageReturnAtChunkBoundary) {
  const std::string data = "abc\r\ndef\r\n";
  for (size_t buffer = 1; buffer <= 12; ++buffer) {
    EXPECT_EQ(ReadRange(data, 0, data.size(), buffer), (std::vector<Line>{{0, "abc"}, {5, "def"}})) << buffer;
  }
}

using RangeReader = std::vector<Line> (*)(const std::string& data, uint64_t start, uint64_t end, size_t buffer,
                                          size_t max_read);

// For random texts, random cuts and random buffer sizes, the ranges read with `read` together
// yield every line exactly once and in order.
void CheckRandomCuts(RangeReader read, unsigned seed, size_t max_size, size_t max_buffer, size_t max_read) {
  std::mt19937 rng(seed);
  const char alphabet[] = "ab\n\n\r ";
  for (int round = 0; round < 2000; ++round) {
    std::string data(rng() % max_size, ' ');
    for (char& c : data) c = alphabet[rng() % (sizeof alphabet - 1)];
    std::vector<uint64_t> cuts = {0, data.size()};
    for (int i = rng() % 6; i > 0; --i) cuts.push_back(data.empty() ? 0 : rng() % data.size());
    std::sort(cuts.begin(), cuts.end());
    const size_t buffer = 1 + rng() % max_buffer;
    std::vector<Line> got;
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      std::vector<Line> part = read(data, cuts[i], cuts[i + 1], buffer, 1 + rng() % max_read);
      for (const Line& l : part) {
        EXPECT_GE(l.offset, cuts[i]);
        EXPECT_LT(l.offset, cuts[i + 1]);
      }
      got.insert(got.end(), part.begin(), part.end());
    }
    ASSERT_EQ(got, ReferenceLines(data)) << "round " << round << " buffer " << buffer;
  }
}

TEST(LineReaderTest, RandomCutsReadEveryLineOnce) { CheckRandomCuts(ReadRange, 7, 80, 16, 20); }

// ReadRange() through NextBlock(): each block split back into its lines (a '\r' before a '\n'
// dropped, as Next() drops it), with the count NextBlock() gave checked.
std::vector<Line> ReadRangeInBlocks(const std::string& data, uint64_t start, uint64_t end, size_t buffer,
                                    size_t max_read = SIZE_MAX) {
  StringFile file(data, max_read);
  std::string scratch(buffer, '\0');
  LineReader reader(&file, start, end, scratch.data(), scratch.size());
  std::vector<Line> lines;
  std::string_view block;
  uint64_t offset, count;
  while (reader.NextBlock(&block, &offset, &count)) {
    uint64_t found = 0;
    for (size_t pos = 0;; ++found) {
      const size_t nl = std::min(block.find('\n'), block.size());
      std::string text(block.substr(0, nl));
      if (!text.empty() && text.back() == '\r') text.pop_back();
      lines.push_back({offset + pos, text});
      if (nl == block.size()) break;
      block.remove_prefix(nl + 1);
      pos += nl + 1;
    }
    EXPECT_EQ(count, found + 1);
  }
  EXPECT_TRUE(reader.status().ok()) << reader.status().ToString();
  return lines;
}

TEST(LineReaderTest, BlocksHoldTheSameLines) {
  const std::string data = "alpha\nbeta\r\n\n\r\ngamma";
  std::vector<Line> expected = {{0, "alpha"}, {6, "beta"}, {12, ""}, {13, ""}, {15, "gamma"}};
  for (size_t buffer : {1, 2, 4, 7, 64}) EXPECT_EQ(ReadRangeInBlocks(data, 0, data.size(), buffer), expected) << buffer;
  const std::string ranges = "aa\nbb\ncc\n";
  EXPECT_EQ(ReadRangeInBlocks(ranges, 0, 1, 64), (std::vector<Line>{{0, "aa"}}));
  EXPECT_TRUE(ReadRangeInBlocks(ranges, 1, 3, 64).empty());
  EXPECT_EQ(ReadRangeInBlocks(ranges, 1, 4, 64), (std::vector<Line>{{3, "bb"}}));
  EXPECT_EQ(ReadRangeInBlocks(ranges, 3, 7, 64), (std::vector<Line>{{3, "bb"}, {6, "cc"}}));
}

// Blocks long enough for the newline count's 16-byte steps and its 255-step rounds.
TEST(LineReaderTest, BlockLineCountsOverLongBlocks) {
  std::mt19937 rng(11);
  std::string data;
  while (data.size() < 100000) data += std::string(rng() % 30, 'w') + (rng() % 3 ? "\n" : "\n\n\n");
  for (size_t buffer : {size_t{4096}, size_t{65536}, size_t{1} << 20}) {
    EXPECT_EQ(ReadRangeInBlocks(data, 0, data.size(), buffer), ReferenceLines(data)) << buffer;
  }
}

TEST(LineReaderTest, RandomCutsReadEveryLineOnceInBlocks) { CheckRandomCuts(ReadRangeInBlocks, 9, 120, 40, 50); }

TEST(LineReaderTest, ReadErrorIsReturned) {
  StringFile file("abc\n");
  file.fail_reads = true;
  char scratch[16];
  LineReader reader(&file, 0, 4, scratch, sizeof scratch);
  std::string_view line;
  uint64_t offset;
  EXPECT_FALSE(reader.Next(&line, &offset));
  EXPECT_EQ(reader.status().message(), "reading mem: injected");
}

// A failure in the middle of a line must not pass off the part read so far as a last line.
TEST(LineReaderTest, ReadErrorMidLineIsNotALine) {
  StringFile file("complete\npartial line", /*max_read=*/12);
  char scratch[64];
  LineReader reader(&file, 0, 100, scratch, sizeof scratch);
  std::string_view line;
  uint64_t offset;
  ASSERT_TRUE(reader.Next(&line, &offset));
  EXPECT_EQ(line, "complete");
  file.fail_reads = true;
  EXPECT_FALSE(reader.Next(&line, &offset));
  EXPECT_FALSE(reader.status().ok());
}

TEST(LineReaderTest, SkipErrorIsReturned) {
  class NoSkip : public StringFile {
   public:
    NoSkip() : StringFile("abc\ndef\n") {}
    Status Skip(uint64_t) override { return IOError("seeking mem: injected"); }
  } file;
  char scratch[16];
  LineReader reader(&file, 2, 8, scratch, sizeof scratch);
  std::string_view line;
  uint64_t offset;
  EXPECT_FALSE(reader.Next(&line, &offset));
  EXPECT_EQ(reader.status().message(), "seeking mem: injected");
}

}  // namespace
}  // namespace aviary
