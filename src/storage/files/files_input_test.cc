#include "storage/files/files_input.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include "common/subprocess.h"
#include "storage/files/split_planner.h"
#include "storage/files/test_util.h"

namespace aviary {
namespace {

struct Line {
  std::string file;
  uint64_t offset;
  std::string text;
  bool operator==(const Line&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Line& l) { return os << l.file << "@" << l.offset << ":'" << l.text << "'"; }

class CollectingSink : public RecordSink {
 public:
  void OnReadBuffer(const char* begin, const char* end) override {
    buffer_begin = begin;
    buffer_end = end;
    ++buffer_calls;
    if (begin != nullptr) announced_sizes.push_back(static_cast<size_t>(end - begin));
  }
  bool OnRecord(const Record& r) override {
    const char* text = r.text().data();
    if (buffer_begin != nullptr && text >= buffer_begin && text + r.text().size() <= buffer_end) ++in_buffer;
    if (buffer_begin == nullptr) ++outside_any_buffer;
    lines.push_back({std::string(r.source().file), r.source().offset, std::string(r.text())});
    docs.push_back(r.document() ? std::string(r.document()->data(), r.document()->size()) : "");
    return static_cast<int>(lines.size()) != stop_after;
  }
  const Status& status() const override { return stop_status; }

  bool takes_line_blocks() const override { return blocks; }
  // Splits the block into its lines, as OnRecord() would have seen them one by one.
  bool OnLineBlock(const Record& r, uint64_t count) override {
    ++blocks_seen;
    const std::string_view text = r.text();
    uint64_t found = 0;
    for (size_t pos = 0;; ++found) {
      const size_t nl = std::min(text.find('\n', pos), text.size());
      std::string line(text.substr(pos, nl - pos));
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back({std::string(r.source().file), r.source().offset + pos, line});
      docs.push_back("");
      if (nl == text.size()) break;
      pos = nl + 1;
    }
    EXPECT_EQ(found + 1, count) << "the block's line count";
    return stop_after < 0 || static_cast<int>(lines.size()) < stop_after;
  }

  bool blocks = false;  // take lines in blocks
  int blocks_seen = 0;
  std::vector<Line> lines;
  std::vector<std::string> docs;  // BSON of each record's document, or empty
  const char* buffer_begin = nullptr;
  const char* buffer_end = nullptr;
  int buffer_calls = 0;
  std::vector<size_t> announced_sizes;  // of each buffer announced
  int in_buffer = 0;           // records whose text lay inside the announced buffer
  int outside_any_buffer = 0;  // records delivered while no buffer was announced
  int stop_after = -1;
  Status stop_status;
};

// The lines of `data` (a file named `file`) by the obvious definition.
void AppendReferenceLines(const std::string& file, const std::string& data, std::vector<Line>* lines) {
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t nl = data.find('\n', pos);
    const size_t stop = nl == std::string::npos ? data.size() : nl;
    std::string text = data.substr(pos, stop - pos);
    if (!text.empty() && text.back() == '\r') text.pop_back();
    lines->push_back({file, pos, text});
    pos = stop + 1;
  }
}

class FilesInputTest : public ::testing::Test {
 protected:
  std::unique_ptr<InputFormat> Input(const std::string& glob, FilesInputOptions options = {}, Env* env = nullptr) {
    return NewFilesInput(glob, std::move(options), env != nullptr ? env : &env_);
  }

  // Reads *.txt, written as `files`, in every combination of blocks, read size and split count,
  // through `env` (mapped when it maps and `map_min_bytes` allows), checking each line comes once.
  void CheckEveryLineReadOnce(const std::vector<std::pair<std::string, std::string>>& files, Env* env,
                              uint64_t map_min_bytes) {
    std::vector<Line> expected;
    uint64_t total = 0;
    for (const auto& [name, data] : files) {
      WriteTestFile(dir_.Join(name), data);
      AppendReferenceLines(dir_.Join(name), data, &expected);
      total += data.size();
    }
    for (bool blocks : {false, true}) {
      for (size_t read_size : {size_t{1}, size_t{7}, size_t{64}, size_t{1} << 20}) {
        for (uint32_t desired : {0u, 1u, 2u, 3u, 5u, 17u, 100u, 1000u, 100000u}) {
          FilesInputOptions options;
          options.read_size = read_size;
          options.map_min_bytes = map_min_bytes;
          CollectingSink sink;
          sink.blocks = blocks;
          InputStats stats;
          size_t num_splits = 0;
          ReadAll(Input(dir_.Join("*.txt"), options, env).get(), desired, &sink, &stats, &num_splits);
          EXPECT_EQ(num_splits, desired == 0 ? 1 : std::min<uint64_t>(desired, total));
          ASSERT_EQ(sink.lines, expected) << "blocks " << blocks << " read_size " << read_size << " desired " << desired;
          EXPECT_EQ(stats.records, expected.size());  // lines, also when they come in blocks
          EXPECT_EQ(stats.bytes, total);
          EXPECT_EQ(sink.buffer_begin, nullptr);  // withdrawn after every range
        }
      }
    }
  }

  // Plans `desired` splits and reads them all into `sink`, checking each call succeeds.
  void ReadAll(InputFormat* input, uint32_t desired, CollectingSink* sink, InputStats* stats, size_t* num_splits = nullptr) {
    StatusOr<std::vector<rpc::InputSplit>> splits = input->PlanSplits({desired});
    ASSERT_TRUE(splits.ok()) << splits.status().ToString();
    if (num_splits) *num_splits = splits->size();
    for (const rpc::InputSplit& split : *splits) {
      Status s = input->ReadSplit(split, sink, stats);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }

  // a.txt: 1000 lines of 18 bytes, read 64 bytes at a time; its one split.
  rpc::InputSplit ThousandLinesInSmallReads(std::unique_ptr<InputFormat>* input) {
    std::string data;
    for (int i = 0; i < 1000; ++i) data += "some line of text\n";
    WriteTestFile(dir_.Join("a.txt"), data);
    FilesInputOptions options;
    options.read_size = 64;
    *input = Input(dir_.Join("a.txt"), options);
    StatusOr<std::vector<rpc::InputSplit>> splits = (*input)->PlanSplits({1});
    EXPECT_TRUE(splits.ok() && splits->size() == 1);
    return splits.ok() && !splits->empty() ? (*splits)[0] : rpc::InputSplit();
  }

  ScratchDir dir_;
  FaultEnv env_;
};

TEST_F(FilesInputTest, GlobMatchingNothing) {
  StatusOr<std::vector<rpc::InputSplit>> splits = Input(dir_.Join("*.txt"))->PlanSplits({4});
  ASSERT_EQ(splits.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(splits.status().message(), "no input files match " + dir_.Join("*.txt"));
}

TEST_F(FilesInputTest, DirectoryIsRefused) {
  ::mkdir(dir_.Join("sub").c_str(), 0755);
  StatusOr<std::vector<rpc::InputSplit>> splits = Input(dir_.Join("*"))->PlanSplits({1});
  ASSERT_EQ(splits.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(splits.status().message().find(dir_.Join("sub") + " is a directory"), std::string::npos)
      << splits.status().message();
}

// Opening a FIFO blocks until a writer comes: planning must only stat it (this test would hang).
TEST_F(FilesInputTest, FifoAndSocketAreRefusedWithoutOpeningThem) {
  WriteTestFile(dir_.Join("a.txt"), "x\n");
  ASSERT_EQ(::mkfifo(dir_.Join("b.txt").c_str(), 0644), 0);
  StatusOr<std::vector<rpc::InputSplit>> splits = Input(dir_.Join("*.txt"))->PlanSplits({1});
  ASSERT_EQ(splits.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(splits.status().message().find(dir_.Join("b.txt") + " is a FIFO, not a regular file"), std::string::npos)
      << splits.status().message();
  splits = Input("/dev/null")->PlanSplits({1});
  ASSERT_EQ(splits.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(splits.status().message().find("/dev/null is a character device"), std::string::npos)
      << splits.status().message();
}

// A name that is not UTF-8 travels byte for byte in the split and is shown escaped.
TEST_F(FilesInputTest, FileNameThatIsNotUtf8IsReadAndDescribedEscaped) {
  const std::string name = dir_.Join("caf\xE9.txt");
  WriteTestFile(name, "hello\n");
  StatusOr<std::vector<rpc::InputSplit>> splits = Input(dir_.Join("*.txt"))->PlanSplits({1});
  ASSERT_TRUE(splits.ok()) << splits.status().ToString();
  ASSERT_EQ(splits->size(), 1u);
  EXPECT_NE((*splits)[0].description().find("caf\\xE9.txt"), std::string::npos) << (*splits)[0].description();
  std::string wire;
  ASSERT_TRUE((*splits)[0].SerializeToString(&wire));
  rpc::InputSplit parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));  // what a worker does with its task spec
  CollectingSink sink;
  InputStats stats;
  ASSERT_TRUE(Input(dir_.Join("*.txt"))->ReadSplit(parsed, &sink, &stats).ok());
  ASSERT_EQ(sink.lines.size(), 1u);
  EXPECT_EQ(sink.lines[0], (Line{name, 0, "hello"}));
}

TEST_F(FilesInputTest, UnreadableFileIsNamedAtPlanning) {
  WriteTestFile(dir_.Join("a.txt"), "x\n");
  WriteTestFile(dir_.Join("b.txt"), "y\n");
  env_.unreadable = "b.txt";
  StatusOr<std::vector<rpc::InputSplit>> splits = Input(dir_.Join("*.txt"))->PlanSplits({1});
  ASSERT_EQ(splits.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(splits.status().message().find(dir_.Join("b.txt")), std::string::npos) << splits.status().message();
}

TEST_F(FilesInputTest, EmptyInputHasNoSplits) {
  WriteTestFile(dir_.Join("a.txt"), "");
  WriteTestFile(dir_.Join("b.txt"), "");
  StatusOr<std::vector<rpc::InputSplit>> splits = Input(dir_.Join("*.txt"))->PlanSplits({0});
  ASSERT_TRUE(splits.ok()) << splits.status().ToString();
  EXPECT_TRUE(splits->empty());
}

// Many files, many split counts, tiny to large read sizes: every line exactly once, in order.
std::vector<std::pair<std::string, std::string>> AwkwardFiles() {
  std::mt19937 rng(3);
  std::vector<std::pair<std::string, std::string>> files = {
      {"a.txt", "first\r\nsecond\n\nfourth after an empty line\r\n\r\nno newline at end"},
      {"b.txt", ""},
      {"c.txt", std::string(300, 'L') + "\n" + std::string(5, 's') + "\n"},
      {"d.txt", "\n\n\n"},
      {"e.txt", "x"},
  };
  std::string big;
  for (int i = 0; i < 200; ++i) big += std::string(rng() % 40, static_cast<char>('a' + i % 26)) + (i % 7 ? "\n" : "\r\n");
  files.push_back({"f.txt", big});
  // A file of exactly one page: a load past its last byte would leave the mapping.
  files.push_back({"g.txt", std::string(4095, 'p') + "\n"});
  return files;
}

TEST_F(FilesInputTest, EveryLineReadExactlyOnce) {
  CheckEveryLineReadOnce(AwkwardFiles(), &env_, /*map_min_bytes=*/0);  // env_ cannot map: reads
}

// The same through mappings of every file, however small its range.
TEST_F(FilesInputTest, EveryLineOfMappedFilesReadExactlyOnce) {
  CheckEveryLineReadOnce(AwkwardFiles(), Env::Default(), /*map_min_bytes=*/0);
}

// A mapped range announces the mapping as the read buffer: lines inside one read are views into
// it. Ranges below map_min_bytes are read into the buffer instead.
TEST_F(FilesInputTest, MappedRangeAnnouncesTheMappingAndWithdrawsIt) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += "some line of text\n";
  WriteTestFile(dir_.Join("a.txt"), data);
  for (uint64_t map_min_bytes : {uint64_t{0}, uint64_t{1} << 20}) {
    FilesInputOptions options;
    options.read_size = 4096;
    options.map_min_bytes = map_min_bytes;
    CollectingSink sink;
    InputStats stats;
    ReadAll(Input(dir_.Join("a.txt"), options, Env::Default()).get(), 1, &sink, &stats);
    ASSERT_EQ(sink.lines.size(), 1000u);
    EXPECT_EQ(sink.buffer_calls, 2);
    EXPECT_EQ(sink.buffer_begin, nullptr);
    EXPECT_EQ(sink.outside_any_buffer, 0);
    // 18-byte lines in 4096-byte reads: four lines in 1000 span two reads, assembled elsewhere.
    EXPECT_EQ(sink.in_buffer, 996) << "map_min_bytes " << map_min_bytes;
    EXPECT_EQ(sink.announced_sizes, (std::vector<size_t>{map_min_bytes == 0 ? data.size() : size_t{4096}}));
  }
}

// In blocks, a chunk's whole lines are one record, inside the read buffer; JSON lines still
// come one document at a time.
TEST_F(FilesInputTest, LineBlocksHoldAChunksWholeLines) {
  std::unique_ptr<InputFormat> input;
  const rpc::InputSplit split = ThousandLinesInSmallReads(&input);  // 18-byte lines, 64-byte reads
  CollectingSink sink;
  sink.blocks = true;
  InputStats stats;
  ASSERT_TRUE(input->ReadSplit(split, &sink, &stats).ok());
  ASSERT_EQ(sink.lines.size(), 1000u);
  EXPECT_EQ(sink.lines[999], (Line{dir_.Join("a.txt"), 999 * 18, "some line of text"}));
  EXPECT_EQ(stats.records, 1000u);
  // 282 reads of 64 bytes: about one block of two or three whole lines per read, and the line
  // across two reads alone.
  EXPECT_LT(sink.blocks_seen, 750);
  EXPECT_GT(sink.blocks_seen, 250);

  WriteTestFile(dir_.Join("d.jsonl"), "{\"text\": \"a\"}\n{\"text\": \"b\"}\n");
  CollectingSink json;
  json.blocks = true;
  ReadAll(Input(dir_.Join("d.jsonl")).get(), 1, &json, &stats);
  ASSERT_EQ(json.lines.size(), 2u);
  EXPECT_EQ(json.lines[1].text, "b");
  EXPECT_EQ(json.blocks_seen, 0);
}

// A *.json file (mongoexport's name for one document a line) is JSON lines, not text.
TEST_F(FilesInputTest, DotJsonFilesAreJsonLinesToo) {
  WriteTestFile(dir_.Join("export.json"), "{\"text\": \"a\", \"n\": 1}\n{\"text\": \"b\"}\n");
  CollectingSink sink;
  InputStats stats;
  ReadAll(Input(dir_.Join("*.json")).get(), 1, &sink, &stats);
  ASSERT_EQ(sink.lines.size(), 2u);
  ASSERT_EQ(sink.docs.size(), 2u);
  EXPECT_EQ(sink.lines[0].text, "a");
  DocumentView first(sink.docs[0].data(), sink.docs[0].size());
  EXPECT_EQ(first.Get("n")->as_int(), 1);
}

TEST_F(FilesInputTest, JsonLinesBecomeDocuments) {
  WriteTestFile(dir_.Join("docs.jsonl"),
                "{\"text\": \"hello world\", \"n\": 1}\n"
                "{\"user\": {\"bio\": \"nested text\"}}\r\n"
                "\n"
                "   \n"
                "{\"text\": 42}\n"
                "{\"_id\": {\"$oid\": \"507f1f77bcf86cd799439011\"}, \"text\": \"x\"}");
  CollectingSink sink;
  InputStats stats;
  ReadAll(Input(dir_.Join("*.jsonl")).get(), 3, &sink, &stats);
  ASSERT_EQ(sink.lines.size(), 4u);
  EXPECT_EQ(stats.records, 4u);
  EXPECT_EQ(sink.lines[0].text, "hello world");
  EXPECT_EQ(sink.lines[1].text, "");  // no "text" field
  EXPECT_EQ(sink.lines[2].text, "");  // not a string
  EXPECT_EQ(sink.lines[3].text, "x");
  EXPECT_EQ(sink.lines[1].offset, std::string_view("{\"text\": \"hello world\", \"n\": 1}\n").size());
  DocumentView first(sink.docs[0].data(), sink.docs[0].size());
  EXPECT_EQ(first.Get("n")->type(), Type::kInt32);
  EXPECT_EQ(first.Get("n")->as_int(), 1);
  DocumentView last(sink.docs[3].data(), sink.docs[3].size());
  EXPECT_EQ(last.Get("_id")->type(), Type::kObjectId);

  FilesInputOptions options;
  options.text_field = "user.bio";
  CollectingSink nested;
  ReadAll(Input(dir_.Join("*.jsonl"), options).get(), 1, &nested, &stats);
  ASSERT_EQ(nested.lines.size(), 4u);
  EXPECT_EQ(nested.lines[1].text, "nested text");
  EXPECT_EQ(nested.lines[0].text, "");
}

std::string JsonLinesWithBadLine(int bad_line, int lines) {
  std::string data;
  for (int i = 1; i <= lines; ++i) {
    data += i == bad_line ? "{\"text\": \"unterminated}\n" : "{\"text\": \"line " + std::to_string(i) + "\"}\n";
  }
  return data;
}

TEST_F(FilesInputTest, MalformedJsonNamesFileAndLine) {
  WriteTestFile(dir_.Join("a.jsonl"), JsonLinesWithBadLine(0, 5));
  WriteTestFile(dir_.Join("b.jsonl"), JsonLinesWithBadLine(37, 50));
  std::unique_ptr<InputFormat> input = Input(dir_.Join("*.jsonl"));
  StatusOr<std::vector<rpc::InputSplit>> splits = input->PlanSplits({7});
  ASSERT_TRUE(splits.ok());
  int failures = 0;
  for (const rpc::InputSplit& split : *splits) {
    CollectingSink sink;
    InputStats stats;
    Status s = input->ReadSplit(split, &sink, &stats);
    if (s.ok()) continue;
    ++failures;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    const std::string prefix = dir_.Join("b.jsonl") + ":37: malformed JSON: ";
    EXPECT_EQ(s.message().substr(0, prefix.size()), prefix) << s.message();
    EXPECT_GT(s.message().size(), prefix.size());
    const files::FileSplit ranges = FileRanges(split);
    for (const files::FileRange& range : ranges.ranges()) {
      if (range.path() == dir_.Join("b.jsonl")) {
        EXPECT_GT(range.start(), 0u);  // so the line number needed counting
      }
    }
  }
  EXPECT_EQ(failures, 1);
}

TEST_F(FilesInputTest, SkipBadRecordsCountsThem) {
  WriteTestFile(dir_.Join("a.jsonl"), JsonLinesWithBadLine(3, 10) + "not json at all\n");
  FilesInputOptions options;
  options.skip_bad_records = true;
  CollectingSink sink;
  InputStats stats;
  ReadAll(Input(dir_.Join("a.jsonl"), options).get(), 4, &sink, &stats);
  EXPECT_EQ(stats.records, 9u);
  EXPECT_EQ(stats.bad_records, 2u);
  EXPECT_EQ(sink.lines[2].text, "line 4");
}

TEST_F(FilesInputTest, SinkStopsTheRead) {
  WriteTestFile(dir_.Join("a.txt"), "1\n2\n3\n4\n5\n");
  std::unique_ptr<InputFormat> input = Input(dir_.Join("a.txt"));
  StatusOr<std::vector<rpc::InputSplit>> splits = input->PlanSplits({1});
  ASSERT_TRUE(splits.ok());
  CollectingSink sink;
  sink.stop_after = 2;
  sink.stop_status = Aborted("plugin threw in Map");
  InputStats stats;
  Status s = input->ReadSplit((*splits)[0], &sink, &stats);
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(s.message(), "plugin threw in Map");
  EXPECT_EQ(sink.lines.size(), 2u);

  CollectingSink polite;
  polite.stop_after = 3;
  EXPECT_TRUE(input->ReadSplit((*splits)[0], &polite, &stats).ok());
  EXPECT_EQ(polite.lines.size(), 3u);
}

TEST_F(FilesInputTest, ReadBufferIsAnnouncedAroundTheRecordsAndWithdrawnAfter) {
  // Most lines lie inside one read (in the buffer); those that span two reads are assembled
  // elsewhere.
  std::unique_ptr<InputFormat> input;
  const rpc::InputSplit split = ThousandLinesInSmallReads(&input);
  CollectingSink sink;
  InputStats stats;
  ASSERT_TRUE(input->ReadSplit(split, &sink, &stats).ok());
  EXPECT_EQ(sink.lines.size(), 1000u);
  EXPECT_EQ(sink.buffer_calls, 2);
  EXPECT_EQ(sink.buffer_begin, nullptr);  // withdrawn once the split is read
  EXPECT_EQ(sink.outside_any_buffer, 0);
  EXPECT_GT(sink.in_buffer, 500);
  EXPECT_LT(sink.in_buffer, 1000);

  // Also when the read fails half-way.
  env_.fail_reads_after_bytes = 1000;
  CollectingSink failed;
  EXPECT_FALSE(input->ReadSplit(split, &failed, &stats).ok());
  EXPECT_EQ(failed.buffer_calls, 2);
  EXPECT_EQ(failed.buffer_begin, nullptr);
}

// Counts lines and samples this process's resident memory as they come.
class ResidentSamplingSink : public RecordSink {
 public:
  bool takes_line_blocks() const override { return true; }
  bool OnLineBlock(const Record&, uint64_t count) override {
    lines += count;
    if (++blocks % 16 == 0) peak_resident = std::max(peak_resident, ResidentBytesOf(::getpid()));
    return true;
  }
  bool OnRecord(const Record&) override { return ++lines, true; }
  const Status& status() const override { return ok_; }

  uint64_t lines = 0;
  uint64_t blocks = 0;
  uint64_t peak_resident = 0;

 private:
  Status ok_;
};

// Memory limits count a task's resident pages, mapped file pages among them: a mapped range
// read through must not stay resident, or a large input file would be counted whole.
TEST_F(FilesInputTest, AMappedFileReadThroughDoesNotStayResident) {
  const std::string path = dir_.Join("big.txt");
  {
    std::unique_ptr<WritableFile> out = std::move(Env::Default()->NewWritableFile(path)).value();
    std::string chunk;
    for (int i = 0; i < 1 << 16; ++i) chunk += "some line of text\n";  // 1.1 MiB
    for (int i = 0; i < 56; ++i) ASSERT_TRUE(out->Append(chunk).ok());  // 63 MiB
    ASSERT_TRUE(out->Close().ok());
  }
  const uint64_t before = ResidentBytesOf(::getpid());
  ResidentSamplingSink sink;
  InputStats stats;
  std::unique_ptr<InputFormat> input = Input(path, FilesInputOptions(), Env::Default());
  StatusOr<std::vector<rpc::InputSplit>> splits = input->PlanSplits({1});
  ASSERT_TRUE(splits.ok() && splits->size() == 1);
  ASSERT_TRUE(input->ReadSplit((*splits)[0], &sink, &stats).ok());
  EXPECT_EQ(sink.lines, 56u << 16);
  ASSERT_GT(sink.peak_resident, 0u);
  EXPECT_LT(sink.peak_resident, before + (16 << 20)) << "resident before the read: " << before;
}

TEST_F(FilesInputTest, ReadErrorFailsTheSplit) {
  std::unique_ptr<InputFormat> input;
  const rpc::InputSplit split = ThousandLinesInSmallReads(&input);
  env_.fail_reads_after_bytes = 1000;
  CollectingSink sink;
  InputStats stats;
  Status s = input->ReadSplit(split, &sink, &stats);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message(), "reading " + dir_.Join("a.txt") + ": Input/output error (injected)");
}

}  // namespace
}  // namespace aviary
