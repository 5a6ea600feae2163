#include "devcluster/worker_forks.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <future>
#include <iterator>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "common/subprocess.h"

namespace aviary::devcluster {
namespace {

// Writes its arguments after the first, space-separated, to the file its first argument names.
int RecordArguments(int argc, char** argv) {
  std::FILE* f = std::fopen(argv[1], "w");
  if (f == nullptr) return 1;
  for (int i = 2; i < argc; ++i) std::fprintf(f, "%s%s", i > 2 ? " " : "", argv[i]);
  std::fclose(f);
  return 7;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/worker_forks_" + std::to_string(::getpid()) + "_" + name;
}

TEST(WorkerForks, AChildRunsTheCommandLineItIsGiven) {
  WorkerForks::Start(2, &RecordArguments);
  const std::string first = TempPath("first"), second = TempPath("second");
  std::optional<pid_t> a = WorkerForks::Launch({"aviary", first, "worker", "--slots", "1"});
  std::optional<pid_t> b = WorkerForks::Launch({"aviary", second, "with spaces", ""});
  ASSERT_TRUE(a && b);
  for (pid_t pid : {*a, *b}) {
    StatusOr<int> status = WaitForExit(pid);  // our children
    ASSERT_TRUE(status.ok());
    ASSERT_TRUE(WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 7);
  }
  EXPECT_EQ(ReadFile(first), "worker --slots 1");
  EXPECT_EQ(ReadFile(second), "with spaces ");
  EXPECT_FALSE(WorkerForks::Launch({"aviary", first})) << "two were forked, two were used";
}

TEST(WorkerForks, UnusedChildrenEndWhenDiscarded) {
  WorkerForks::Start(2, &RecordArguments);
  const std::string used = TempPath("used");
  std::optional<pid_t> a = WorkerForks::Launch({"aviary", used});
  ASSERT_TRUE(a);
  ASSERT_TRUE(WaitForExit(*a).ok());
  WorkerForks::DiscardUnused();  // returns once the other one has exited
  EXPECT_FALSE(WorkerForks::Launch({"aviary", used}));
  EXPECT_TRUE(ChildrenOf(::getpid()).empty());
}

TEST(WorkerForks, NoneAreForkedFromAProcessWithThreads) {
  std::promise<void> go;
  std::thread other([&go] { go.get_future().wait(); });
  WorkerForks::Start(1, &RecordArguments);
  go.set_value();
  other.join();
  EXPECT_FALSE(WorkerForks::Launch({"aviary", TempPath("never")})) << "the caller execs its workers instead";
}

}  // namespace
}  // namespace aviary::devcluster
