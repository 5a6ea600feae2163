#include "storage/mongo/test_shardserver.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "common/subprocess.h"

namespace aviary::mongo::testing {
namespace {

// Reads one line from `fd` within `timeout_ms`; false on timeout or EOF.
bool ReadLine(int fd, int timeout_ms, std::string* line) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char c;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (::poll(&p, 1, std::max(left, 1)) <= 0) continue;
    if (::read(fd, &c, 1) != 1) return false;
    if (c == '\n') return true;
    line->push_back(c);
  }
  return false;
}

// Waits up to `timeout_ms` for `pid` to exit.
bool WaitFor(pid_t pid, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    if (TryWaitForExit(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/aviary-mongo-test-XXXXXX";
  if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

StatusOr<std::unique_ptr<ShardServer>> ShardServer::Start(const std::string& binary) {
  std::unique_ptr<ShardServer> server(new ShardServer());
  server->dir_ = std::make_unique<TempDir>();
  if (server->dir_->path().empty()) return Internal("cannot create a temporary directory");
  int out[2];
  if (::pipe(out) != 0) return Internal("pipe failed");
  SpawnSpec child;
  const std::string data_dir = server->dir_->path() + "/data";
  child.argv = {binary, "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--log-level", "error"};
  child.Dup(out[1], STDOUT_FILENO).Close(out[0]);
  StatusOr<pid_t> pid = Spawn(child);
  ::close(out[1]);
  if (!pid.ok()) {
    ::close(out[0]);
    server->pid_ = -1;
    return pid.status();
  }
  server->pid_ = *pid;
  std::string line;
  const bool ready = ReadLine(out[0], 60'000, &line);
  ::close(out[0]);
  if (!ready || !line.starts_with("ready ")) return Internal(binary + " did not report ready (got '" + line + "')");
  server->uri_ = line.substr(6);
  return server;
}

ShardServer::~ShardServer() {
  if (pid_ <= 0) return;
  SignalProcess(pid_, SIGTERM);
  if (!WaitFor(pid_, 10'000)) {
    SignalProcess(pid_, SIGKILL);
    WaitFor(pid_, 10'000);
  }
}

std::string ShardServer::host() const {
  const size_t start = uri_.find("://") + 3;
  return uri_.substr(start, uri_.find('/', start) - start);
}

}  // namespace aviary::mongo::testing
