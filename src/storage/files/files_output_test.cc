#include "storage/files/files_output.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "storage/files/test_util.h"

namespace aviary {
namespace {

// Every path under `root`, relative to it, sorted: the whole visible state of an output dir.
std::vector<std::string> Tree(const std::string& root) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root, ec)) {
    paths.push_back(std::filesystem::relative(e.path(), root).string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

class FilesOutputTest : public ::testing::Test {
 protected:
  std::unique_ptr<OutputFormat> Output(bool overwrite = false) { return NewFilesOutput(out_, overwrite, &env_); }

  // Writes `words` as (word, count) results for one attempt; returns its CommittedPartition.
  CommittedPartition WriteAttempt(OutputFormat* output, uint32_t partition, uint32_t attempt,
                                  const std::vector<std::string>& words) {
    StatusOr<std::unique_ptr<OutputWriter>> writer = output->OpenTaskWriter("job1", partition, attempt);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    for (size_t i = 0; i < words.size(); ++i) {
      const int64_t count = static_cast<int64_t>(i + 1);
      EXPECT_TRUE((*writer)->Write(ValueView::String(words[i]), ValueView::Int64(count)).ok());
    }
    EXPECT_TRUE((*writer)->Close().ok());
    return {partition, attempt, (*writer)->location()};
  }

  ScratchDir dir_;
  const std::string out_ = dir_.Join("out");
  FaultEnv env_;
};

TEST_F(FilesOutputTest, CommitPromotesExactlyTheWinners) {
  auto output = Output();
  ASSERT_TRUE(output->SetupJob("job1").ok());
  EXPECT_EQ(output->Describe(), "files:" + out_);
  const CommittedPartition loser = WriteAttempt(output.get(), 0, 1, {"stale"});
  const CommittedPartition p0 = WriteAttempt(output.get(), 0, 2, {"a", "b"});
  const CommittedPartition p1 = WriteAttempt(output.get(), 1, 1, {});
  const CommittedPartition p2 = WriteAttempt(output.get(), 2, 1, {"c\"q"});
  EXPECT_EQ(p0.location, out_ + "/_temporary/job1/attempt-00000-2/part-00000.jsonl");
  EXPECT_EQ(ReadTestFile(loser.location), "{\"_id\": \"stale\", \"value\": 1}\n");

  Status s = output->CommitJob("job1", {p2, p0, p1});
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Tree(out_), (std::vector<std::string>{"_SUCCESS", "part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"}));
  EXPECT_EQ(ReadTestFile(out_ + "/part-00000.jsonl"), "{\"_id\": \"a\", \"value\": 1}\n{\"_id\": \"b\", \"value\": 2}\n");
  EXPECT_EQ(ReadTestFile(out_ + "/part-00001.jsonl"), "");
  EXPECT_EQ(ReadTestFile(out_ + "/part-00002.jsonl"), "{\"_id\": \"c\\\"q\", \"value\": 1}\n");
  EXPECT_EQ(ReadTestFile(out_ + "/_SUCCESS"), "job1\n");
}

// An attempt that outlives its aborted job (its coordinator died; the next one cleaned up) cannot
// bring the job's temporary directory back.
TEST_F(FilesOutputTest, NoAttemptWritesAfterItsJobWasAborted) {
  auto output = Output();
  ASSERT_TRUE(output->SetupJob("job1").ok());
  ASSERT_TRUE(output->AbortJob("job1").ok());
  StatusOr<std::unique_ptr<OutputWriter>> late = output->OpenTaskWriter("job1", 0, 1);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("has ended"), std::string::npos) << late.status().message();
  EXPECT_TRUE(Tree(out_).empty());
}

// A coordinator taking over a job it finds committing commits it again.
TEST_F(FilesOutputTest, RepeatedCommitOfACommittedJobChangesNothing) {
  auto output = Output();
  ASSERT_TRUE(output->SetupJob("job1").ok());
  const std::vector<CommittedPartition> winners = {WriteAttempt(output.get(), 0, 1, {"a"}),
                                                   WriteAttempt(output.get(), 1, 1, {"b"})};
  ASSERT_TRUE(output->CommitJob("job1", winners).ok());
  const std::vector<std::string> after_first = Tree(out_);
  Status s = Output()->CommitJob("job1", winners);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Tree(out_), after_first);
  EXPECT_EQ(ReadTestFile(out_ + "/part-00001.jsonl"), "{\"_id\": \"b\", \"value\": 1}\n");
}

TEST_F(FilesOutputTest, RepeatedCommitFinishesOneThatDiedMidway) {
  auto output = Output();
  ASSERT_TRUE(output->SetupJob("job1").ok());
  const std::vector<CommittedPartition> winners = {WriteAttempt(output.get(), 0, 1, {"a"}),
                                                   WriteAttempt(output.get(), 1, 1, {"b"}),
                                                   WriteAttempt(output.get(), 2, 1, {"c"})};
  // What a coordinator killed after renaming partition 1 leaves behind.
  WriteTestFile(out_ + "/_COMMITTING", "job1\n");
  ASSERT_TRUE(env_.RenameFile(winners[1].location, out_ + "/part-00001.jsonl").ok());
  EXPECT_EQ(Output()->SetupJob("job2").code(), StatusCode::kFailedPrecondition);  // not a result to reuse

  Status s = Output()->CommitJob("job1", winners);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Tree(out_), (std::vector<std::string>{"_SUCCESS", "part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"}));
  EXPECT_EQ(ReadTestFile(out_ + "/part-00001.jsonl"), "{\"_id\": \"b\", \"value\": 1}\n");
  EXPECT_EQ(ReadTestFile(out_ + "/part-00002.jsonl"), "{\"_id\": \"c\", \"value\": 1}\n");
}

TEST_F(FilesOutputTest, ACommitOfAnotherJobIsNotResumed) {
  auto output = Output(/*overwrite=*/true);
  ASSERT_TRUE(output->SetupJob("job1").ok());
  const std::vector<CommittedPartition> winners = {WriteAttempt(output.get(), 0, 1, {"a"})};
  WriteTestFile(out_ + "/_COMMITTING", "job0\n");
  WriteTestFile(out_ + "/part-00003.jsonl", "half of job0\n");
  ASSERT_TRUE(output->CommitJob("job1", winners).ok());
  EXPECT_EQ(Tree(out_), (std::vector<std::string>{"_SUCCESS", "part-00000.jsonl"}));
}

TEST_F(FilesOutputTest, SetupRefusesAnExistingResultAndChangesNothing) {
  ::mkdir(out_.c_str(), 0755);
  WriteTestFile(out_ + "/part-00000.jsonl", "old\n");
  const std::vector<std::string> before = Tree(out_);
  Status s = Output()->SetupJob("job1");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "output directory " + out_ + " already holds a result (use --overwrite)");
  EXPECT_EQ(Tree(out_), before);

  std::filesystem::remove(out_ + "/part-00000.jsonl");
  WriteTestFile(out_ + "/_SUCCESS", "");
  EXPECT_EQ(Output()->SetupJob("job1").code(), StatusCode::kFailedPrecondition);
}

TEST_F(FilesOutputTest, UnrelatedFilesAreNoResult) {
  ::mkdir(out_.c_str(), 0755);
  WriteTestFile(out_ + "/README", "mine\n");
  EXPECT_TRUE(Output()->SetupJob("job1").ok());
}

TEST_F(FilesOutputTest, OutputPathThatIsAFile) {
  WriteTestFile(out_, "not a dir");
  Status s = Output()->SetupJob("job1");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("is not a usable directory"), std::string::npos) << s.message();
}

TEST_F(FilesOutputTest, OverwriteReplacesTheOldResultOnlyAtCommit) {
  ::mkdir(out_.c_str(), 0755);
  for (const char* name : {"part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl", "_SUCCESS"}) {
    WriteTestFile(out_ + "/" + name, "old\n");
  }
  WriteTestFile(out_ + "/notes.txt", "kept\n");
  auto output = Output(/*overwrite=*/true);
  ASSERT_TRUE(output->SetupJob("job1").ok());
  const CommittedPartition p0 = WriteAttempt(output.get(), 0, 1, {"new"});
  EXPECT_EQ(ReadTestFile(out_ + "/part-00002.jsonl"), "old\n");  // still intact before commit
  ASSERT_TRUE(output->CommitJob("job1", {p0}).ok());
  EXPECT_EQ(Tree(out_), (std::vector<std::string>{"_SUCCESS", "notes.txt", "part-00000.jsonl"}));
  EXPECT_EQ(ReadTestFile(out_ + "/part-00000.jsonl"), "{\"_id\": \"new\", \"value\": 1}\n");
}

TEST_F(FilesOutputTest, AbortLeavesNothingOfTheJob) {
  auto output = Output();
  ASSERT_TRUE(output->SetupJob("job1").ok());
  WriteAttempt(output.get(), 0, 1, {"a"});
  ASSERT_TRUE(output->AbortJob("job1").ok());
  EXPECT_TRUE(Tree(out_).empty());
}

TEST_F(FilesOutputTest, AbortKeepsThePreviousResultAndOtherJobs) {
  ::mkdir(out_.c_str(), 0755);
  WriteTestFile(out_ + "/part-00000.jsonl", "old\n");
  WriteTestFile(out_ + "/_SUCCESS", "");
  auto output = Output(/*overwrite=*/true);
  ASSERT_TRUE(output->SetupJob("job1").ok());
  ASSERT_TRUE(output->SetupJob("job2").ok());
  WriteAttempt(output.get(), 0, 1, {"a"});
  ASSERT_TRUE(output->AbortJob("job1").ok());
  EXPECT_EQ(Tree(out_), (std::vector<std::string>{"_SUCCESS", "_temporary", "_temporary/job2", "part-00000.jsonl"}));
  EXPECT_EQ(ReadTestFile(out_ + "/part-00000.jsonl"), "old\n");
}

TEST_F(FilesOutputTest, CommitChecksWinnersBeforeChangingAnything) {
  ::mkdir(out_.c_str(), 0755);
  WriteTestFile(out_ + "/part-00000.jsonl", "old\n");
  WriteTestFile(out_ + "/_SUCCESS", "");
  auto output = Output(/*overwrite=*/true);
  ASSERT_TRUE(output->SetupJob("job1").ok());
  const CommittedPartition p0 = WriteAttempt(output.get(), 0, 1, {"a"});
  const CommittedPartition p1 = WriteAttempt(output.get(), 1, 1, {"b"});

  EXPECT_EQ(output->CommitJob("job1", {p0, p0}).code(), StatusCode::kInvalidArgument);  // duplicate
  EXPECT_EQ(output->CommitJob("job1", {p1}).code(), StatusCode::kInvalidArgument);      // gap at 0
  EXPECT_EQ(output->CommitJob("job1", {{0, 1, dir_.Join("elsewhere")}}).code(), StatusCode::kInvalidArgument);
  std::filesystem::remove(p1.location);
  Status s = output->CommitJob("job1", {p0, p1});
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "output of partition 1 (attempt 1) is missing: " + p1.location);
  EXPECT_EQ(ReadTestFile(out_ + "/part-00000.jsonl"), "old\n");
  EXPECT_TRUE(env_.FileExists(out_ + "/_SUCCESS"));
}

TEST_F(FilesOutputTest, CommitWithoutOverwriteKeepsAResultThatAppearedMeanwhile) {
  auto output = Output();
  ASSERT_TRUE(output->SetupJob("job1").ok());
  const CommittedPartition p0 = WriteAttempt(output.get(), 0, 1, {"a"});
  WriteTestFile(out_ + "/part-00000.jsonl", "other job\n");
  WriteTestFile(out_ + "/_SUCCESS", "");
  EXPECT_EQ(output->CommitJob("job1", {p0}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadTestFile(out_ + "/part-00000.jsonl"), "other job\n");
  EXPECT_TRUE(env_.FileExists(p0.location));
}

TEST_F(FilesOutputTest, InvalidJobIdIsRefused) {
  auto output = Output();
  EXPECT_EQ(output->SetupJob("../x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(output->AbortJob("").code(), StatusCode::kInvalidArgument);
}

TEST_F(FilesOutputTest, FailingWritesGiveACleanError) {
  auto output = Output();
  ASSERT_TRUE(output->SetupJob("job1").ok());
  env_.fail_writes_after_bytes = 100000;
  StatusOr<std::unique_ptr<OutputWriter>> writer = output->OpenTaskWriter("job1", 3, 1);
  ASSERT_TRUE(writer.ok());
  Status s;
  const std::string word(100, 'w');
  const int64_t one = 1;
  for (int i = 0; i < 100000 && s.ok(); ++i) s = (*writer)->Write(ValueView::String(word), ValueView::Int64(one));
  if (s.ok()) s = (*writer)->Close();
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "writing " + (*writer)->location() + ": No space left on device (injected)");
  ASSERT_TRUE(output->AbortJob("job1").ok());
  EXPECT_TRUE(Tree(out_).empty());
}

TEST_F(FilesOutputTest, FailingCloseIsReported) {
  auto output = Output();
  ASSERT_TRUE(output->SetupJob("job1").ok());
  env_.fail_writes_after_bytes = 0;
  StatusOr<std::unique_ptr<OutputWriter>> writer = output->OpenTaskWriter("job1", 0, 1);
  ASSERT_TRUE(writer.ok());
  const int64_t one = 1;
  EXPECT_TRUE((*writer)->Write(ValueView::String("buffered"), ValueView::Int64(one)).ok());
  EXPECT_EQ((*writer)->Close().code(), StatusCode::kResourceExhausted);
}

TEST_F(FilesOutputTest, FailedRenameLeavesNoFinalNameAndNoSuccess) {
  auto output = Output();
  ASSERT_TRUE(output->SetupJob("job1").ok());
  std::vector<CommittedPartition> winners;
  for (uint32_t p = 0; p < 4; ++p) winners.push_back(WriteAttempt(output.get(), p, 1, {"w"}));
  env_.fail_rename_to = "part-00002.jsonl";
  Status s = output->CommitJob("job1", winners);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("injected failure"), std::string::npos) << s.message();
  EXPECT_EQ(Tree(out_).front(), "_temporary");
  for (const std::string& path : Tree(out_)) EXPECT_EQ(path.rfind("_temporary", 0), 0u) << path;
  ASSERT_TRUE(output->AbortJob("job1").ok());
  EXPECT_TRUE(Tree(out_).empty());
}

TEST_F(FilesOutputTest, FailedSuccessMarkerTakesThePartsBack) {
  auto output = Output();
  ASSERT_TRUE(output->SetupJob("job1").ok());
  const CommittedPartition p0 = WriteAttempt(output.get(), 0, 1, {"w"});
  env_.fail_create = "_SUCCESS";
  EXPECT_FALSE(output->CommitJob("job1", {p0}).ok());
  EXPECT_FALSE(env_.FileExists(out_ + "/_SUCCESS"));
  EXPECT_FALSE(env_.FileExists(out_ + "/part-00000.jsonl"));
}

}  // namespace
}  // namespace aviary
