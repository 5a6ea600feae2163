#include "coordinator/open_jobs.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/scratch_dir.h"

namespace aviary::coordinator {
namespace {

namespace fs = std::filesystem;

class OpenJobsTest : public ::testing::Test {
 protected:
  // What a files job had begun to write when its coordinator died: an attempt's part file.
  fs::path StartedOutput(const std::string& job_id) {
    const fs::path attempt = out_ / "_temporary" / job_id / "attempt-00000-1";
    fs::create_directories(attempt);
    std::ofstream(attempt / "part-00000.jsonl") << "{\"_id\":\"a\",\"value\":1}\n";
    return attempt;
  }
  rpc::JobSpec FilesJob() const {
    rpc::JobSpec spec;
    spec.set_plugin("wordcount");
    spec.set_output_uri("files:" + out_.string());
    return spec;
  }

  ScratchDir scratch_;
  const fs::path out_ = fs::path(scratch_.path()) / "out";
};

TEST_F(OpenJobsTest, AbortsTheOutputsOfNotedJobsAndForgetsThem) {
  const fs::path journal_dir = fs::path(scratch_.path()) / "open-jobs";
  fs::create_directories(journal_dir);
  OpenJobJournal journal(Env::Default(), journal_dir.string());
  ASSERT_TRUE(journal.Note("job-lost", FilesJob()).ok());
  ASSERT_TRUE(journal.Note("job-done", FilesJob()).ok());
  journal.Forget("job-done");
  StartedOutput("job-lost");
  const fs::path other = StartedOutput("job-of-someone-else");

  EXPECT_EQ(journal.AbortAbandoned(), 1u);
  EXPECT_FALSE(fs::exists(out_ / "_temporary" / "job-lost"));
  EXPECT_TRUE(fs::exists(other)) << "only the noted job's output is touched";
  EXPECT_TRUE(fs::is_empty(journal_dir));
  EXPECT_EQ(journal.AbortAbandoned(), 0u);
  EXPECT_FALSE(journal.Note("../escape", FilesJob()).ok());
}

TEST_F(OpenJobsTest, AnEarlierLifesInlineResultsAndOpenJobsGo) {
  const fs::path data = fs::path(scratch_.path()) / "data";
  fs::create_directories(data / "inline" / "job-old");
  fs::create_directories(OpenJobsDir(data.string()));
  ASSERT_TRUE(OpenJobJournal(Env::Default(), OpenJobsDir(data.string())).Note("job-lost", FilesJob()).ok());
  StartedOutput("job-lost");
  CleanUpEarlierLife(Env::Default(), data.string(), (data / "inline").string());
  EXPECT_FALSE(fs::exists(data / "inline" / "job-old"));
  EXPECT_TRUE(fs::is_directory(data / "inline"));
  EXPECT_FALSE(fs::exists(out_ / "_temporary"));
}

TEST_F(OpenJobsTest, DeadCoordinatorsDefaultDirsAreCleanedUpAndLiveOnesKept) {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);  // gone: its pid names no process now
  const fs::path base = fs::path(scratch_.path()) / "aviary";
  const fs::path dead = base / ("coordinator-" + std::to_string(child));
  const fs::path alive = base / ("coordinator-" + std::to_string(::getppid()));
  const fs::path own = base / ("coordinator-" + std::to_string(::getpid()));
  for (const fs::path& d : {dead, alive, own}) fs::create_directories(d / "inline");
  fs::create_directories(base / "worker-1");
  fs::create_directories(OpenJobsDir(dead.string()));
  ASSERT_TRUE(OpenJobJournal(Env::Default(), OpenJobsDir(dead.string())).Note("job-lost", FilesJob()).ok());
  StartedOutput("job-lost");

  CleanUpDeadCoordinators(Env::Default(), own.string());
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_FALSE(fs::exists(out_ / "_temporary")) << "the dead coordinator's open job was aborted";
  EXPECT_TRUE(fs::exists(alive));
  EXPECT_TRUE(fs::exists(own));
  EXPECT_TRUE(fs::exists(base / "worker-1"));
}

}  // namespace
}  // namespace aviary::coordinator
