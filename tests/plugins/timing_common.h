// Helpers for the parallelism test plugins (after MIT 6.5840's mtiming/rtiming): each attempt
// leaves a marker file, waits, and counts the markers of other processes that exist meanwhile.
#ifndef AVIARY_TESTS_PLUGINS_TIMING_COMMON_H_
#define AVIARY_TESTS_PLUGINS_TIMING_COMMON_H_

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

// Returns how many distinct processes had a marker in `dir` while this one waited a second.
inline int CountConcurrent(const std::string& dir, const char* prefix) {
  const std::string mine = dir + "/" + prefix + std::to_string(::getpid());
  if (FILE* f = std::fopen(mine.c_str(), "w")) std::fclose(f);
  int most = 0;
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    int n = 0;
    if (DIR* d = ::opendir(dir.c_str())) {
      while (dirent* e = ::readdir(d)) n += std::string(e->d_name).rfind(prefix, 0) == 0;
      ::closedir(d);
    }
    most = std::max(most, n);
  }
  return most;
}

#endif  // AVIARY_TESTS_PLUGINS_TIMING_COMMON_H_
