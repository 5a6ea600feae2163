#include "worker/task_zygote.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "common/subprocess.h"

namespace aviary::worker {
namespace {

std::string ProcFile(pid_t pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The copy renames itself once it has scrubbed its environment.
void WaitUntilNamed(pid_t pid) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ProcFile(pid, "cmdline").find("task-zygote") == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "the fork server never renamed itself";
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

constexpr char kSecretValue[] = "hunter2-in-the-environment";

TEST(ForkFromHere, TheCopyHoldsNoTraceOfTheScrubbedVariables) {
  if (std::getenv("ZYGOTE_TEST_SECRET") == nullptr) {
    // Run again with the variable where /proc/PID/environ reads it: in the environment the
    // kernel passed at exec (a setenv() here would put it elsewhere).
    SpawnSpec again;
    again.argv = {std::filesystem::read_symlink("/proc/self/exe").string(),
                  "--gtest_filter=ForkFromHere.TheCopyHoldsNoTraceOfTheScrubbedVariables"};
    again.env = EnvironmentWithout({});
    again.env->push_back(std::string("ZYGOTE_TEST_SECRET=") + kSecretValue);
    StatusOr<pid_t> pid = Spawn(again);
    ASSERT_TRUE(pid.ok()) << pid.status().ToString();
    StatusOr<int> status = WaitForExit(*pid);
    ASSERT_TRUE(status.ok());
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "the run with the variable failed";
    return;
  }
  ASSERT_NE(ProcFile(::getpid(), "environ").find(kSecretValue), std::string::npos) << "where the copy must clear it";
  StatusOr<std::unique_ptr<TaskZygote>> zygote = TaskZygote::ForkFromHere({"ZYGOTE_TEST_SECRET"});
  ASSERT_TRUE(zygote.ok()) << zygote.status().ToString();
  WaitUntilNamed((*zygote)->pid());
  const std::string environ_seen = ProcFile((*zygote)->pid(), "environ");
  EXPECT_EQ(environ_seen.find("hunter2"), std::string::npos);
  EXPECT_EQ(environ_seen.find("ZYGOTE_TEST_SECRET"), std::string::npos);
  EXPECT_NE(environ_seen.find("PATH="), std::string::npos) << "the rest of the environment stays";
  EXPECT_STREQ(std::getenv("ZYGOTE_TEST_SECRET"), kSecretValue) << "ours is untouched";
  const pid_t pid = (*zygote)->pid();
  zygote->reset();
  EXPECT_EQ(ProcFile(pid, "cmdline").find("task-zygote"), std::string::npos) << "killed with its handle";
}

TEST(ForkFromHere, RefusedWhileTheProcessHasAnotherThread) {
  std::promise<void> go;
  std::thread other([&go] { go.get_future().wait(); });
  StatusOr<std::unique_ptr<TaskZygote>> zygote = TaskZygote::ForkFromHere({});
  go.set_value();
  other.join();
  ASSERT_FALSE(zygote.ok());
  EXPECT_EQ(zygote.status().code(), StatusCode::kFailedPrecondition);
}

TEST(ForkFromHere, TheCopyForksRunnersThatBecomeOurChildren) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);  // as a worker daemon is
  StatusOr<std::unique_ptr<TaskZygote>> zygote = TaskZygote::ForkFromHere({});
  ASSERT_TRUE(zygote.ok()) << zygote.status().ToString();
  int output[2], progress[2];
  ASSERT_EQ(::pipe(output), 0);
  ASSERT_EQ(::pipe(progress), 0);
  StatusOr<pid_t> runner = (*zygote)->Fork("/nonexistent-work-dir", 0, output[1], progress[1], -1);
  ::close(output[1]);
  ::close(progress[1]);
  ASSERT_TRUE(runner.ok()) << runner.status().ToString();
  StatusOr<int> status = WaitForExit(*runner);  // ours to reap: it is our child by now
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 2);  // no spec.pb there
  char buffer[256] = {};
  ASSERT_GT(::read(output[0], buffer, sizeof buffer - 1), 0);
  EXPECT_NE(std::string(buffer).find("cannot read task spec in /nonexistent-work-dir"), std::string::npos) << buffer;
  ::close(output[0]);
  ::close(progress[0]);
}

}  // namespace
}  // namespace aviary::worker
