#include "common/private_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "common/scratch_dir.h"

namespace aviary {
namespace {

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

TEST(PrivateDirTest, CreatesWithMode0700) {
  ScratchDir scratch;
  const std::string dir = scratch.Join("d");
  ASSERT_TRUE(EnsurePrivateDir(dir).ok());
  EXPECT_EQ(ModeOf(dir), 0700u);
  EXPECT_TRUE(EnsurePrivateDir(dir).ok());  // an existing private directory is accepted
}

TEST(PrivateDirTest, RefusesPlantedSymlink) {
  ScratchDir scratch;
  const std::string target = scratch.Join("elsewhere");
  ASSERT_EQ(::mkdir(target.c_str(), 0700), 0);
  const std::string dir = scratch.Join("d");
  ASSERT_EQ(::symlink(target.c_str(), dir.c_str()), 0);
  Status s = EnsurePrivateDir(dir);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("symlink"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(dir), std::string::npos) << s.message();
}

TEST(PrivateDirTest, RefusesWideMode) {
  ScratchDir scratch;
  const std::string dir = scratch.Join("d");
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  Status s = EnsurePrivateDir(dir);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("0755"), std::string::npos) << s.message();
}

TEST(PrivateDirTest, RefusesAFile) {
  ScratchDir scratch;
  const std::string path = scratch.Join("f");
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  EXPECT_FALSE(EnsurePrivateDir(path).ok());
}

TEST(PrivateDirTest, DefaultDaemonDirIsPrivateAndPerProcess) {
  ScratchDir scratch;
  ::setenv("XDG_RUNTIME_DIR", scratch.path().c_str(), 1);
  StatusOr<std::string> dir = DefaultDaemonDir("coordinator");
  ASSERT_TRUE(dir.ok()) << dir.status().message();
  EXPECT_EQ(*dir, scratch.path() + "/aviary/coordinator-" + std::to_string(::getpid()));
  EXPECT_EQ(ModeOf(*dir), 0700u);
}

}  // namespace
}  // namespace aviary
