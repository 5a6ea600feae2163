// A plugin that tries to get out of its task process, for tests/e2e/test_containment.py. The
// `mode` param picks the attempt:
//   probe  emits what it can see: its environment, what it reads from every inherited pipe, and
//          where its process sits (Layout)
//   hog    holds `mb` MiB of touched memory, then waits to be killed
//   spin   burns CPU forever
//   fork   leaves a child in its process group and a setsid() grandchild behind (pids appended
//          to `pidfile`), then counts words normally
//   flood  writes `mb` MiB to stdout, a last line to stderr, and aborts
//   badstderr  writes bytes that are not UTF-8 to stderr and aborts (for test_hostile_input.py)
//   badsetup   refuses in Setup with an error holding bytes that are not UTF-8
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "aviary/aviary.h"
#include "tokenize.h"

extern char** environ;

namespace {

// Async-signal-safe (no allocation): forked children of a threaded process call it too.
void AppendPid(const char* file, pid_t pid) {
  char line[24];
  char* end = line + sizeof line;
  char* p = end;
  *--p = '\n';
  do {
    *--p = static_cast<char>('0' + pid % 10);
    pid /= 10;
  } while (pid > 0);
  const int fd = ::open(file, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd >= 0) {
    (void)!::write(fd, p, static_cast<size_t>(end - p));
    ::close(fd);
  }
}

[[noreturn]] void Linger() {
  for (;;) ::pause();
}

std::string Layout(const std::vector<int>& fds);

// Everything a plugin can see without being given it: the environment and inherited pipes.
std::string Probe() {
  std::string seen = "env:";
  for (char** e = environ; *e != nullptr; ++e) seen += std::string(*e) + ";";
  // As first passed to the process, which a fork server's copy may have rewritten in place.
  seen += " proc-environ:";
  std::ifstream proc_environ("/proc/self/environ", std::ios::binary);
  for (char c; proc_environ.get(c);) seen += c == '\0' ? ';' : c;
  seen += " pipes:";
  std::vector<int> fds;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] != '.') fds.push_back(std::atoi(entry->d_name));
    }
    ::closedir(dir);
  }
  for (int fd : fds) {
    struct stat st {};
    if (fd < 3 || ::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) continue;
    char buffer[4096];
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    seen += std::to_string(fd) + "=" + (n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string()) + ",";
  }
  return seen + " " + Layout(fds);
}

// Where the attempt's process sits: whether it leads its own process group, the command of its
// parent (the worker daemon's, also when the process was forked by the fork server), what fd 0
// is, and how many sockets a map attempt holds (none: nothing of the fork server's leaks in).
std::string Layout(const std::vector<int>& fds) {
  std::string layout = std::string("group:") + (::getpgrp() == ::getpid() ? "own" : "shared") + " parent:";
  std::string cmdline;
  if (FILE* f = std::fopen(("/proc/" + std::to_string(::getppid()) + "/cmdline").c_str(), "r")) {
    char buffer[512];
    const size_t n = std::fread(buffer, 1, sizeof buffer, f);
    std::fclose(f);
    for (size_t i = 0; i < n; ++i) cmdline += buffer[i] == '\0' ? ' ' : buffer[i];
  }
  layout += cmdline.find(" worker ") != std::string::npos ? "worker" : "other(" + cmdline + ")";
  char stdin_target[256] = {};
  (void)!::readlink("/proc/self/fd/0", stdin_target, sizeof stdin_target - 1);
  layout += std::string(" stdin:") + stdin_target;
  int sockets = 0;
  for (int fd : fds) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) ++sockets;
  }
  return layout + " sockets:" + std::to_string(sockets) + ";";
}

}  // namespace

class ContainmentProbe : public aviary::Job {
 public:
  bool Setup(const aviary::Params& params, std::string* error) override {
    mode_ = std::string(params.Get("mode", "probe"));
    mb_ = std::atoi(std::string(params.Get("mb", "64")).c_str());
    pidfile_ = std::string(params.Get("pidfile", ""));
    if (mode_ == "badsetup") {
      *error = "refused: \xFF\xFE not UTF-8";
      return false;
    }
    return true;
  }

  void Map(const aviary::Record& record, aviary::MapContext& ctx) override {
    if (calls_++ == 0) Misbehave(ctx);
    ForEachWord(record.text(), [&](std::string_view w) { ctx.Emit(w, 1); });
  }

  aviary::Value Reduce(aviary::ValueView key, const aviary::Values& values) override {
    if (mode_ == "probe" && key.as_string().starts_with("map-saw:")) return aviary::Value::String("reduce-saw:" + Probe());
    int64_t sum = 0;
    for (auto v : values) sum += v.as_int();
    return aviary::Value::Int64(sum);
  }

 private:
  void Misbehave(aviary::MapContext& ctx) {
    if (mode_ == "probe") {
      const std::string seen = "map-saw:" + Probe();
      ctx.Emit(seen, 1);  // twice: a key with one value is not reduced
      ctx.Emit(seen, 1);
    } else if (mode_ == "hog") {
      for (int i = 0; i < mb_; ++i) {
        char* chunk = static_cast<char*>(std::malloc(1 << 20));
        if (chunk != nullptr) std::memset(chunk, 1, 1 << 20);  // kept: the point is to hold it
      }
      Linger();
    } else if (mode_ == "spin") {
      for (;;) asm volatile("");  // a loop the compiler must keep
    } else if (mode_ == "fork") {
      Fork();
    } else if (mode_ == "badstderr") {
      const char bad[] = "bad bytes \xFF\xFE\xC0 end\n";
      (void)!::write(2, bad, sizeof bad - 1);
      std::abort();
    } else if (mode_ == "flood") {
      const std::string block(1 << 20, 'x');
      for (int i = 0; i < mb_; ++i) (void)!::write(1, block.data(), block.size());
      const char last[] = "flood done: these are the last words\n";
      (void)!::write(2, last, sizeof last - 1);
      std::abort();
    }
  }

  void Fork() {
    const pid_t child = ::fork();
    if (child == 0) Linger();
    const char* file = pidfile_.c_str();
    AppendPid(file, child);
    const pid_t runaway = ::fork();
    if (runaway == 0) {
      ::setsid();  // out of the attempt's process group
      const pid_t grandchild = ::fork();
      if (grandchild == 0) Linger();
      AppendPid(file, grandchild);
      ::_exit(0);  // the grandchild is orphaned
    }
    AppendPid(file, runaway);
    int status = 0;
    ::waitpid(runaway, &status, 0);  // so the grandchild's pid is written before the attempt ends
  }

  std::string mode_;
  int mb_ = 64;
  std::string pidfile_;
  int calls_ = 0;
};

AVIARY_PLUGIN(ContainmentProbe, "contain", "test: a plugin that tries to get out of its task process")
