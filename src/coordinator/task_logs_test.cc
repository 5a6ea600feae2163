#include "coordinator/task_logs.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/scratch_dir.h"

namespace aviary::coordinator {
namespace {

namespace fs = std::filesystem;

class TaskLogsTest : public ::testing::Test {
 protected:
  ScratchDir scratch_;
  const std::string dir_ = scratch_.path() + "/task-logs";
  TaskLogs logs_{Env::Default(), dir_};
};

TEST_F(TaskLogsTest, WritesEachAttemptAndReadsThemBackInTaskOrder) {
  ASSERT_TRUE(logs_.Write("job-1", rpc::REDUCE, 0, 1, "reduce says hi\n").ok());
  ASSERT_TRUE(logs_.Write("job-1", rpc::MAP, 10, 1, "map 10\n").ok());
  ASSERT_TRUE(logs_.Write("job-1", rpc::MAP, 2, 2, "map 2, second try\n").ok());
  ASSERT_TRUE(logs_.Write("job-1", rpc::MAP, 2, 1, std::string("binary \xff\0 bytes", 15)).ok());
  StatusOr<std::vector<rpc::TaskLog>> all = logs_.Read("job-1", {});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].task(), 2u);
  EXPECT_EQ((*all)[0].attempt(), 1u);
  EXPECT_EQ((*all)[0].text(), std::string("binary \xff\0 bytes", 15));
  EXPECT_EQ((*all)[1].attempt(), 2u);
  EXPECT_EQ((*all)[2].task(), 10u);
  EXPECT_EQ((*all)[3].kind(), rpc::REDUCE);
  EXPECT_EQ((*all)[3].text(), "reduce says hi\n");
}

TEST_F(TaskLogsTest, FiltersByKindTaskAndAttempt) {
  for (uint32_t task : {0u, 1u}) {
    for (uint32_t attempt : {1u, 2u}) ASSERT_TRUE(logs_.Write("job-2", rpc::MAP, task, attempt, "m").ok());
  }
  ASSERT_TRUE(logs_.Write("job-2", rpc::REDUCE, 1, 1, "r").ok());
  TaskLogFilter only;
  only.task = 1;
  EXPECT_EQ(logs_.Read("job-2", only)->size(), 3u);  // map 1 twice, reduce 1
  only.kind = rpc::MAP;
  EXPECT_EQ(logs_.Read("job-2", only)->size(), 2u);
  only.attempt = 2;
  ASSERT_EQ(logs_.Read("job-2", only)->size(), 1u);
  EXPECT_EQ(logs_.Read("job-2", only)->at(0).attempt(), 2u);
  EXPECT_TRUE(logs_.Read("job-unknown", {})->empty());
}

TEST_F(TaskLogsTest, ALongLogKeepsItsEndAndAnEmptyOneIsNotWritten) {
  std::string text(TaskLogs::kMaxBytes + 100, 'a');
  text += "the end";
  ASSERT_TRUE(logs_.Write("job-3", rpc::MAP, 0, 1, text).ok());
  ASSERT_TRUE(logs_.Write("job-3", rpc::MAP, 1, 1, "").ok());
  StatusOr<std::vector<rpc::TaskLog>> all = logs_.Read("job-3", {});
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->at(0).text().size(), TaskLogs::kMaxBytes);
  EXPECT_TRUE(all->at(0).text().ends_with("the end"));
}

TEST_F(TaskLogsTest, AJobIdThatCouldNameAnotherPathIsRefused) {
  for (const char* id : {"../escape", "job/1", "", ".", "job 1"}) {
    EXPECT_FALSE(logs_.Write(id, rpc::MAP, 0, 1, "x").ok()) << id;
  }
  EXPECT_FALSE(fs::exists(scratch_.path() + "/escape"));
  EXPECT_FALSE(logs_.Write("job-4", rpc::TASK_KIND_UNSPECIFIED, 0, 1, "x").ok());
}

TEST_F(TaskLogsTest, RemoveTakesTheJobsLogsAndNoOthers) {
  ASSERT_TRUE(logs_.Write("job-5", rpc::MAP, 0, 1, "x").ok());
  ASSERT_TRUE(logs_.Write("job-6", rpc::MAP, 0, 1, "y").ok());
  logs_.Remove("job-5");
  EXPECT_FALSE(fs::exists(dir_ + "/job-5"));
  EXPECT_EQ(logs_.Read("job-6", {})->size(), 1u);
}

TEST(TaskLogsWithoutADirTest, KeepsNothing) {
  TaskLogs logs(Env::Default(), "");
  EXPECT_TRUE(logs.Write("job-1", rpc::MAP, 0, 1, "x").ok());
  EXPECT_TRUE(logs.Read("job-1", {})->empty());
}

}  // namespace
}  // namespace aviary::coordinator
