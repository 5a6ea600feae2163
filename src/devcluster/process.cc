#include "devcluster/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/subprocess.h"

namespace aviary::devcluster {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(50);

std::string ErrnoText(int err) { return std::strerror(err); }

// Reaps `pid` if it is an exited child of this process; harmless otherwise.
void ReapIfChild(pid_t pid) { (void)TryWaitForExit(pid); }

bool WaitAllGone(const std::vector<ProcessRef>& procs, std::chrono::milliseconds budget) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  while (true) {
    bool any = false;
    for (const ProcessRef& p : procs) {
      ReapIfChild(p.pid);
      any = any || IsAlive(p);
    }
    if (!any) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
}

int BindLoopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as the servers themselves do
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int BoundPort(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return ntohs(addr.sin_port);
}

std::string ReadFrom(const std::string& path, uint64_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The rest of the first complete line of `text` that contains `marker`, if any.
bool FindMarkedLine(const std::string& text, std::string_view marker, std::string* rest) {
  const size_t at = text.find(marker);
  if (at == std::string::npos) return false;
  const size_t eol = text.find('\n', at);
  if (eol == std::string::npos) return false;
  const size_t start = at + marker.size();
  *rest = text.substr(start, eol - start);
  return true;
}

}  // namespace

StatusOr<ProcessRef> SpawnDaemon(const std::vector<std::string>& argv, const std::string& log_path,
                                 const std::string& work_dir) {
  const int probe = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (probe < 0) return IOError("cannot open log file " + log_path + ": " + ErrnoText(errno));
  ::close(probe);
  SpawnSpec daemon;
  daemon.argv = argv;
  daemon.cwd = work_dir;
  daemon.Open(0, "/dev/null", O_RDONLY).Open(1, log_path, O_WRONLY | O_CREAT | O_APPEND).Dup(1, 2);
  daemon.close_from = 3;
  // The caller may block SIGINT/SIGTERM for its own signal thread, or ignore SIGPIPE.
  daemon.reset_signals = true;
  daemon.new_session = true;
  ASSIGN_OR_RETURN(pid_t pid, Spawn(daemon));
  return ProcessRef{pid, ProcessStartTicks(pid)};
}

uint64_t ProcessStartTicks(pid_t pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return 0;
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 1));
  std::string state;
  fields >> state;  // field 3
  if (state == "Z" || state == "X" || state == "x") return 0;
  std::string skip;
  for (int field = 4; field < 22; ++field) fields >> skip;
  uint64_t ticks = 0;
  fields >> ticks;
  return ticks == 0 ? 1 : ticks;  // never 0 for a live process
}

bool IsAlive(const ProcessRef& p) {
  const uint64_t ticks = ProcessStartTicks(p.pid);
  return ticks != 0 && (p.start_ticks == 0 || ticks == p.start_ticks);
}

void StopProcesses(const std::vector<ProcessRef>& procs, int grace_ms) {
  for (const ProcessRef& p : procs) {
    if (IsAlive(p)) SignalProcess(p.pid, SIGTERM);
  }
  if (WaitAllGone(procs, std::chrono::milliseconds(grace_ms))) return;
  for (const ProcessRef& p : procs) {
    if (IsAlive(p)) SignalProcess(p.pid, SIGKILL);
  }
  (void)WaitAllGone(procs, std::chrono::seconds(5));
}

StatusOr<std::vector<int>> PickFreePorts(int n) {
  std::vector<int> fds;
  std::vector<int> ports;
  for (int i = 0; i < n; ++i) {
    const int fd = BindLoopback(0);
    if (fd < 0) break;
    fds.push_back(fd);
    ports.push_back(BoundPort(fd));
  }
  for (int fd : fds) ::close(fd);
  if (static_cast<int>(ports.size()) != n) return Unavailable("cannot find free TCP ports on 127.0.0.1: " + ErrnoText(errno));
  return ports;
}

bool PortIsFree(int port) {
  const int fd = BindLoopback(port);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

std::string SelfExePath() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("aviary");
}

std::string SelfExeDir() {
  const std::string self = SelfExePath();
  const size_t slash = self.rfind('/');
  return slash == std::string::npos ? std::string(".") : self.substr(0, slash);
}

StatusOr<std::string> WaitForLogLine(const std::string& path, uint64_t offset, std::string_view marker,
                                     const ProcessRef& proc, const std::string& what, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    std::string rest;
    if (FindMarkedLine(ReadFrom(path, offset), marker, &rest)) return rest;
    ReapIfChild(proc.pid);
    if (!IsAlive(proc)) {
      return Internal(what + " exited during start-up; the end of " + path + ":\n" + LogTail(path, 5));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return DeadlineExceeded(what + " (pid " + std::to_string(proc.pid) + ") was not ready after " +
                              std::to_string(timeout_ms / 1000) + " s; see " + path);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::string LogTail(const std::string& path, int lines) {
  const uint64_t size = FileSizeOrZero(path);
  const uint64_t window = 8192;
  std::string text = ReadFrom(path, size > window ? size - window : 0);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (text.empty()) return "  (nothing logged)";
  size_t start = text.size();
  for (int i = 0; i < lines && start != std::string::npos; ++i) {
    start = start == 0 ? std::string::npos : text.rfind('\n', start - 1);
  }
  const std::string tail = start == std::string::npos ? text : text.substr(start + 1);
  std::string indented = "  ";
  for (char c : tail) indented += c == '\n' ? std::string("\n  ") : std::string(1, c);
  return indented;
}

uint64_t FileSizeOrZero(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

std::string FindOnPath(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0 ? program : "";
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

struct InterruptHandler::State {
  std::mutex mu;
  bool armed = true;  // guarded by mu
  std::function<void(int)> on_interrupt;
};

InterruptHandler::InterruptHandler(std::function<void(int)> on_interrupt) : state_(std::make_shared<State>()) {
  state_->on_interrupt = std::move(on_interrupt);
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set, state = state_] {
    int sig = 0;
    while (sigwait(&set, &sig) == 0) {
      std::lock_guard<std::mutex> lock(state->mu);
      if (!state->armed) continue;
      state->on_interrupt(sig);
      ::_exit(128 + sig);
    }
  }).detach();
}

void InterruptHandler::Disarm() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->armed = false;
}

}  // namespace aviary::devcluster
