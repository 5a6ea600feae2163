#include "common/subprocess.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/scratch_dir.h"

namespace aviary {
namespace {

class SubprocessTest : public ::testing::Test {
 protected:
  ScratchDir scratch_;
  const std::string dir_ = scratch_.path();

  std::string Read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }

};

TEST_F(SubprocessTest, ArgvEnvCwdAndFileDescriptors) {
  SpawnSpec spec;
  spec.argv = {"/bin/sh", "-c", "echo \"$GREETING from $(pwd)\"; echo oops >&2; exit 3", "ignored"};
  spec.env = std::vector<std::string>{"GREETING=hello", "PATH=/usr/bin:/bin"};
  spec.cwd = dir_;
  spec.Open(0, "/dev/null", O_RDONLY).Open(1, dir_ + "/out.log", O_WRONLY | O_CREAT | O_TRUNC).Dup(1, 2);
  StatusOr<pid_t> pid = Spawn(spec);
  ASSERT_TRUE(pid.ok()) << pid.status().message();
  StatusOr<int> status = WaitForExit(*pid);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 3);
  EXPECT_EQ(DescribeWaitStatus(*status), "exited with code 3");
  const std::string canonical = std::filesystem::canonical(dir_).string();
  EXPECT_EQ(Read("out.log"), "hello from " + canonical + "\noops\n");
}

TEST_F(SubprocessTest, PipeToTheChild) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  SpawnSpec spec;
  spec.argv = {"/bin/sh", "-c", "echo through fd 3 >&3"};
  spec.Dup(fds[1], 3);
  StatusOr<pid_t> pid = Spawn(spec);
  ::close(fds[1]);
  ASSERT_TRUE(pid.ok());
  char buf[64] = {};
  const ssize_t n = ::read(fds[0], buf, sizeof buf - 1);
  ::close(fds[0]);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "through fd 3\n");
  ASSERT_TRUE(WaitForExit(*pid).ok());
}

TEST_F(SubprocessTest, MissingProgramFailsAtSpawn) {
  SpawnSpec spec;
  spec.argv = {dir_ + "/no-such-program"};
  spec.name = "the test program";
  StatusOr<pid_t> pid = Spawn(spec);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().message().rfind("cannot start the test program: ", 0), 0u) << pid.status().message();
}

TEST_F(SubprocessTest, KillAndProcessGroups) {
  SpawnSpec spec;
  spec.argv = {"/bin/sleep", "600"};
  spec.new_process_group = true;
  StatusOr<pid_t> pid = Spawn(spec);
  ASSERT_TRUE(pid.ok());
  EXPECT_EQ(::getpgid(*pid), *pid);  // it leads a group of its own
  EXPECT_FALSE(TryWaitForExit(*pid).has_value());  // still running: nothing to reap
  EXPECT_TRUE(SignalProcessGroup(*pid, SIGTERM));
  StatusOr<int> status = WaitForExit(*pid);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFSIGNALED(*status));
  EXPECT_EQ(DescribeWaitStatus(*status), "killed by signal 15 (SIGTERM)");
  EXPECT_FALSE(SignalProcess(*pid, 0));  // reaped: gone
}

// The worker daemon sleeps on these: readable exactly once the process has ended, reaped or not.
TEST_F(SubprocessTest, APidFdPollsReadableWhenTheProcessEnds) {
  SpawnSpec spec;
  spec.argv = {"/bin/sleep", "600"};
  StatusOr<pid_t> pid = Spawn(spec);
  ASSERT_TRUE(pid.ok());
  const int fd = OpenPidFd(*pid);
  if (fd < 0) {
    SignalProcess(*pid, SIGKILL);
    (void)WaitForExit(*pid);
    GTEST_SKIP() << "no pidfd_open on this kernel";
  }
  struct pollfd wait = {.fd = fd, .events = POLLIN, .revents = 0};
  EXPECT_EQ(::poll(&wait, 1, 20), 0) << "readable while the process runs";
  EXPECT_TRUE(SignalProcess(*pid, SIGKILL));
  EXPECT_EQ(::poll(&wait, 1, 10'000), 1) << "not readable after the process ended";
  EXPECT_TRUE(HasEnded(*pid)) << "readable before the end can be seen";
  ASSERT_TRUE(WaitForExit(*pid).ok());
  ::close(fd);
}

TEST_F(SubprocessTest, NewSession) {
  SpawnSpec spec;
  spec.argv = {"/bin/sleep", "600"};
  spec.new_session = true;
  StatusOr<pid_t> pid = Spawn(spec);
  ASSERT_TRUE(pid.ok());
  EXPECT_EQ(::getsid(*pid), *pid);
  EXPECT_NE(::getsid(*pid), ::getsid(0));
  EXPECT_TRUE(SignalProcess(*pid, SIGKILL));
  ASSERT_TRUE(WaitForExit(*pid).ok());
}

TEST_F(SubprocessTest, DescendantsHasEndedAndResidentMemory) {
  SpawnSpec spec;
  // A shell with a child of its own; the shell waits for it, so both stay until killed.
  spec.argv = {"/bin/sh", "-c", "/bin/sleep 600 & echo started > " + dir_ + "/started; wait"};
  StatusOr<pid_t> pid = Spawn(spec);
  ASSERT_TRUE(pid.ok());
  while (Read("started").empty()) ::usleep(1000);
  const std::vector<pid_t> descendants = DescendantsOf(*pid);
  ASSERT_EQ(descendants.size(), 1u);
  EXPECT_EQ(ChildrenOf(*pid), descendants);
  EXPECT_GT(ResidentBytesOf(*pid), 0u);
  EXPECT_FALSE(HasEnded(*pid));
  EXPECT_TRUE(SignalProcess(descendants[0], SIGKILL));
  EXPECT_TRUE(SignalProcess(*pid, SIGKILL));
  while (!HasEnded(*pid)) ::usleep(1000);
  EXPECT_TRUE(SignalProcess(*pid, 0));  // ended but not reaped: the pid is still reserved
  ASSERT_TRUE(WaitForExit(*pid).ok());
  EXPECT_EQ(ResidentBytesOf(*pid), 0u);
}

TEST_F(SubprocessTest, EnvironmentWithoutDropsOnlyTheNamedVariables) {
  ::setenv("AVIARY_TEST_KEEP", "1", 1);
  ::setenv("AVIARY_TEST_DROP", "2", 1);
  const std::vector<std::string> env = EnvironmentWithout({"AVIARY_TEST_DROP"});
  EXPECT_NE(std::find(env.begin(), env.end(), "AVIARY_TEST_KEEP=1"), env.end());
  EXPECT_EQ(std::find(env.begin(), env.end(), "AVIARY_TEST_DROP=2"), env.end());
  ::unsetenv("AVIARY_TEST_KEEP");
  ::unsetenv("AVIARY_TEST_DROP");
}

// This process blocks SIGTERM (as a daemon's signal thread does); the child must not inherit that.
TEST_F(SubprocessTest, ResetSignalsClearsTheInheritedMask) {
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &term, &old), 0);
  auto blocked_in_child = [&](bool reset) {
    SpawnSpec spec;
    spec.argv = {"/bin/grep", "^SigBlk", "/proc/self/status"};
    spec.reset_signals = reset;
    spec.Open(1, dir_ + "/out.log", O_WRONLY | O_CREAT | O_TRUNC);
    StatusOr<pid_t> pid = Spawn(spec);
    EXPECT_TRUE(pid.ok());
    if (pid.ok()) {
      EXPECT_TRUE(WaitForExit(*pid).ok());
    }
    return Read("out.log");
  };
  const std::string inherited = blocked_in_child(false);
  const std::string reset = blocked_in_child(true);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  EXPECT_EQ(inherited, "SigBlk:\t0000000000004000\n");  // bit 15 - 1: SIGTERM
  EXPECT_EQ(reset, "SigBlk:\t0000000000000000\n");
}

}  // namespace
}  // namespace aviary
