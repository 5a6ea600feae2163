#include "common/process_fork.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <iterator>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace aviary {
namespace {

std::string CommandLineOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Forks a child that retitles itself, tells us, and waits to be killed; returns its cmdline.
std::string TitleSeenInChild(const std::vector<std::string>& title, bool* set) {
  int ready[2];
  EXPECT_EQ(::pipe(ready), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const char ok = SetProcessTitle(title) ? '1' : '0';
    (void)!::write(ready[1], &ok, 1);
    for (;;) ::pause();
  }
  char ok = 0;
  EXPECT_EQ(::read(ready[0], &ok, 1), 1);
  *set = ok == '1';
  const std::string seen = CommandLineOf(pid);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  return seen;
}

TEST(SingleThreaded, SeesASecondThreadWhileItLives) {
  EXPECT_TRUE(SingleThreaded());
  std::promise<void> go;
  std::thread other([&go] { go.get_future().wait(); });
  EXPECT_FALSE(SingleThreaded());
  go.set_value();
  other.join();
  // A joined thread may stay listed for a moment while the kernel finishes its exit.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!SingleThreaded() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(SingleThreaded());
}

TEST(SetProcessTitle, TheCommandLineReadsAsTheNewArguments) {
  bool set = false;
  const std::string seen = TitleSeenInChild({"aviary", "task-zygote"}, &set);
  ASSERT_TRUE(set);
  EXPECT_EQ(seen.substr(0, 19), std::string("aviary\0task-zygote\0", 19));
  EXPECT_EQ(seen.find_first_not_of('\0', 19), std::string::npos) << "the rest of the old arguments is cleared";
}

TEST(SetProcessTitle, ALongerTitleIsCutToTheRoomOfTheOldOne) {
  const size_t room = CommandLineOf(::getpid()).size();
  bool set = false;
  const std::string seen = TitleSeenInChild({std::string(room * 4, 'x')}, &set);
  ASSERT_TRUE(set);
  EXPECT_EQ(seen.size(), room);
  EXPECT_EQ(seen.find_first_not_of('x'), room - 1);  // and ends in '\0'
}

}  // namespace
}  // namespace aviary
