#include "devcluster/worker_forks.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "common/process_fork.h"
#include "common/subprocess.h"

namespace aviary::devcluster {
namespace {

struct Waiting {
  pid_t pid;
  int socket;  // our end; the child reads its command line from the other
};

std::vector<Waiting>& Pool() {
  static auto* pool = new std::vector<Waiting>();
  return *pool;
}

// The command line, as NUL-terminated strings until the parent closes its end.
std::vector<std::string> ReceiveCommandLine(int socket) {
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(socket, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  std::vector<std::string> args;
  for (size_t start = 0, nul; (nul = text.find('\0', start)) != std::string::npos; start = nul + 1) {
    args.push_back(text.substr(start, nul - start));
  }
  return args;
}

[[noreturn]] void RunChild(int socket, pid_t parent, WorkerEntry entry) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // `aviary run` died before it needed us
  if (::getppid() != parent) ::_exit(1);
  std::vector<std::string> args = ReceiveCommandLine(socket);
  ::close(socket);
  if (args.empty()) ::_exit(0);  // not needed
  std::vector<std::string> title = args;
  title[0] = "aviary";  // the room is that of `aviary run`'s arguments: the flags matter more
  (void)SetProcessTitle(title);
  // As for an exec'd worker (private_cluster.cc): what it prints is not this run's output.
  const int null_fd = ::open("/dev/null", O_WRONLY);
  if (null_fd < 0 || ::dup2(null_fd, 1) < 0) ::_exit(2);
  ::close(null_fd);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::exit(entry(static_cast<int>(args.size()), argv.data()));
}

}  // namespace

void WorkerForks::Start(uint32_t count, WorkerEntry entry) {
  if (!SingleThreaded()) return;
  const pid_t parent = ::getpid();
  std::fflush(nullptr);  // nothing buffered is written twice
  for (uint32_t i = 0; i < count; ++i) {
    int sockets[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) return;
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(sockets[0]);
      ::close(sockets[1]);
      return;
    }
    if (pid == 0) {
      // Only the parent may hold the other children's ends, or they would never see theirs close.
      for (const Waiting& w : Pool()) ::close(w.socket);
      ::close(sockets[0]);
      RunChild(sockets[1], parent, entry);
    }
    ::close(sockets[1]);
    Pool().push_back({pid, sockets[0]});
  }
}

std::optional<pid_t> WorkerForks::Launch(const std::vector<std::string>& argv) {
  std::vector<Waiting>& pool = Pool();
  std::string text;
  for (const std::string& arg : argv) text.append(arg).push_back('\0');
  while (!pool.empty()) {
    const Waiting w = pool.front();
    pool.erase(pool.begin());
    size_t sent = 0;
    while (sent < text.size()) {
      const ssize_t n = ::send(w.socket, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    ::close(w.socket);
    if (sent == text.size()) return w.pid;
    SignalProcess(w.pid, SIGKILL);  // gone or stuck: the next one, or an exec
    (void)WaitForExit(w.pid);
  }
  return std::nullopt;
}

void WorkerForks::DiscardUnused() {
  for (const Waiting& w : Pool()) {
    ::close(w.socket);  // it exits on its own
    (void)WaitForExit(w.pid);
  }
  Pool().clear();
}

}  // namespace aviary::devcluster
