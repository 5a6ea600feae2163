#include "devcluster/process.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "common/scratch_dir.h"

namespace aviary::devcluster {
namespace {

class ProcessTest : public ::testing::Test {
 protected:
  ScratchDir scratch_;
  const std::string dir_ = scratch_.path();
};

TEST_F(ProcessTest, DaemonLogsReadinessAndStops) {
  const std::string log = dir_ + "/d.log";
  StatusOr<ProcessRef> p =
      SpawnDaemon({"/bin/sh", "-c", "echo noise >&2; echo ready at $(pwd); exec sleep 30"}, log, dir_);
  ASSERT_TRUE(p.ok()) << p.status().message();
  StatusOr<std::string> rest = WaitForLogLine(log, 0, "ready at ", *p, "test daemon", 5000);
  ASSERT_TRUE(rest.ok()) << rest.status().message();
  EXPECT_EQ(*rest, dir_);
  EXPECT_TRUE(IsAlive(*p));
  EXPECT_EQ(::getsid(p->pid), p->pid);  // its own session
  StopProcesses({*p}, 5000);
  EXPECT_FALSE(IsAlive(*p));
}

TEST_F(ProcessTest, DaemonThatDiesDuringStartUpIsReportedWithItsLog) {
  const std::string log = dir_ + "/d.log";
  StatusOr<ProcessRef> p = SpawnDaemon({"/bin/sh", "-c", "echo cannot bind port >&2; exit 1"}, log);
  ASSERT_TRUE(p.ok());
  StatusOr<std::string> rest = WaitForLogLine(log, 0, "ready", *p, "test daemon", 5000);
  ASSERT_FALSE(rest.ok());
  EXPECT_NE(rest.status().message().find("test daemon exited during start-up"), std::string::npos);
  EXPECT_NE(rest.status().message().find("cannot bind port"), std::string::npos);
}

TEST_F(ProcessTest, MissingProgramFailsToSpawn) {
  EXPECT_FALSE(SpawnDaemon({dir_ + "/no-such-program"}, dir_ + "/x.log").ok());
  EXPECT_FALSE(SpawnDaemon({"/bin/true"}, dir_ + "/no/such/dir/x.log").ok());
}

TEST_F(ProcessTest, StaleRecordIsNotAlive) {
  const ProcessRef self{::getpid(), ProcessStartTicks(::getpid())};
  EXPECT_TRUE(IsAlive(self));
  EXPECT_FALSE(IsAlive({self.pid, self.start_ticks + 1}));  // the pid was reused by another process
  EXPECT_FALSE(IsAlive({0, 0}));
}

TEST_F(ProcessTest, LogTailKeepsTheLastLines) {
  EXPECT_EQ(LogTail(dir_ + "/missing.log", 3), "  (nothing logged)");
  std::ofstream(dir_ + "/empty.log") << "";
  EXPECT_EQ(LogTail(dir_ + "/empty.log", 3), "  (nothing logged)");
  std::ofstream(dir_ + "/one.log") << "only\n";
  EXPECT_EQ(LogTail(dir_ + "/one.log", 3), "  only");
  std::ofstream(dir_ + "/many.log") << "a\nb\nc\nd\n";
  EXPECT_EQ(LogTail(dir_ + "/many.log", 2), "  c\n  d");
  EXPECT_EQ(LogTail(dir_ + "/many.log", 9), "  a\n  b\n  c\n  d");
}

TEST(Ports, FreePortsAreDistinctAndBindable) {
  StatusOr<std::vector<int>> ports = PickFreePorts(4);
  ASSERT_TRUE(ports.ok());
  EXPECT_EQ(std::set<int>(ports->begin(), ports->end()).size(), 4u);
  for (int p : *ports) EXPECT_TRUE(PortIsFree(p));
}

TEST(FindOnPath, FindsShell) {
  EXPECT_FALSE(FindOnPath("sh").empty());
  EXPECT_TRUE(FindOnPath("no-such-program-aviary").empty());
}

}  // namespace
}  // namespace aviary::devcluster
