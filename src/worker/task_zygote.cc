#include "worker/task_zygote.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/env.h"
#include "common/process_fork.h"
#include "common/subprocess.h"
#include "storage/registry.h"
#include "worker/task_runner.h"

namespace aviary::worker {
namespace {

constexpr int kSocketFd = 3;
constexpr uint32_t kMagic = 0x5a79676f;  // "Zygo"
constexpr size_t kMaxWorkDir = 4096;
constexpr int kReplyTimeoutMs = 10'000;
// Received descriptors are moved this high before fd 0-4 are set up, so none is overwritten.
constexpr int kFirstHighFd = 10;

struct Request {
  uint32_t magic;
  uint32_t cpu_limit_seconds;
  uint32_t work_dir_bytes;
  uint32_t has_secret;
};

struct Received {
  Request request{};
  std::string work_dir;
  int fds[3] = {-1, -1, -1};  // output, progress, secret
  int num_fds = 0;
};

// One request, or false when the daemon closed the socket (or sent something malformed).
bool ReceiveRequest(Received* r) {
  char payload[sizeof(Request) + kMaxWorkDir];
  alignas(struct cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))];
  struct iovec iov = {payload, sizeof payload};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(kSocketFd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    r->num_fds = static_cast<int>((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    if (r->num_fds > 3) r->num_fds = 3;
    std::memcpy(r->fds, CMSG_DATA(c), static_cast<size_t>(r->num_fds) * sizeof(int));
  }
  if (static_cast<size_t>(n) < sizeof(Request)) return false;
  std::memcpy(&r->request, payload, sizeof(Request));
  const Request& q = r->request;
  if (q.magic != kMagic || q.work_dir_bytes != static_cast<size_t>(n) - sizeof(Request) ||
      r->num_fds != (q.has_secret ? 3 : 2)) {
    return false;
  }
  r->work_dir.assign(payload + sizeof(Request), q.work_dir_bytes);
  return true;
}

// In the forked runner: the descriptors and process group a spawned runner has, then the daemon
// as parent, then the runner itself. Never returns.
[[noreturn]] void BecomeRunner(const Received& r, pid_t intermediate, pid_t daemon) {
  ::setpgid(0, 0);  // Kill() reaches what the attempt forks
  int high[3] = {-1, -1, -1};
  for (int i = 0; i < r.num_fds; ++i) high[i] = ::fcntl(r.fds[i], F_DUPFD, kFirstHighFd);
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0 || high[0] < 0 || high[1] < 0 || (r.num_fds == 3 && high[2] < 0)) ::_exit(2);
  if (::dup2(null_fd, 0) < 0 || ::dup2(high[0], 1) < 0 || ::dup2(high[0], 2) < 0 || ::dup2(high[1], 3) < 0 ||
      (r.num_fds == 3 && ::dup2(high[2], 4) < 0)) {
    ::_exit(2);
  }
  ::close_range(r.num_fds == 3 ? 5 : 4, ~0U, 0);
  // The intermediate exits right after forking us; until it has, our parent is not the daemon.
  for (int i = 0; ::getppid() == intermediate; ++i) {
    if (i > 100'000) ::_exit(3);
    Env::Default()->SleepForMicros(20);
  }
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != daemon) ::_exit(3);  // the daemon died meanwhile
  std::exit(TaskRunnerMain(r.work_dir, r.request.cpu_limit_seconds));
}

// Forks the intermediate and through it the runner; the runner's pid, or -errno.
int64_t ForkRunner(const Received& r, pid_t daemon) {
  int pid_pipe[2];
  if (::pipe2(pid_pipe, O_CLOEXEC) != 0) return -errno;
  const pid_t intermediate = ::fork();
  if (intermediate < 0) {
    const int e = errno;
    ::close(pid_pipe[0]);
    ::close(pid_pipe[1]);
    return -e;
  }
  if (intermediate == 0) {
    const pid_t self = ::getpid();
    const pid_t runner = ::fork();
    if (runner == 0) BecomeRunner(r, self, daemon);
    const int64_t answer = runner < 0 ? -errno : runner;
    (void)!::write(pid_pipe[1], &answer, sizeof answer);
    ::_exit(0);
  }
  ::close(pid_pipe[1]);
  int64_t answer = -EPIPE;
  ssize_t n;
  do {
    n = ::read(pid_pipe[0], &answer, sizeof answer);
  } while (n < 0 && errno == EINTR);
  ::close(pid_pipe[0]);
  if (n != sizeof answer) answer = -EPIPE;
  // Reaped before the answer goes out: by then the runner is the daemon's child.
  (void)WaitForExit(intermediate);
  return answer;
}

bool WaitReadable(int fd, int timeout_ms) {
  struct pollfd p = {fd, POLLIN, 0};
  int ready;
  do {
    ready = ::poll(&p, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

// Drops each variable in `names` from the environment and zeroes its "NAME=value" string where
// it lies: /proc/PID/environ shows the memory the environment was first passed in, whatever
// `environ` points to now.
void ScrubEnvironment(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    const std::string prefix = name + "=";
    std::vector<char*> found;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, prefix.c_str(), prefix.size()) == 0) found.push_back(*e);
    }
    ::unsetenv(name.c_str());
    for (char* entry : found) std::memset(entry, 0, std::strlen(entry));
  }
}

// Once a runner is on its way: loads what its job's formats need (storage/registry.h), so that
// the next runners are forked with it loaded instead of each loading it (libmongoc: about 5 ms
// of CPU). Once per kind; a job over files loads nothing.
void PreloadFormatsOf(const std::string& work_dir) {
  std::string bytes;
  rpc::TaskSpec spec;
  if (ReadFileToString(Env::Default(), work_dir + "/spec.pb", &bytes).ok() && spec.ParseFromString(bytes)) {
    FormatRegistry::Default().Preload(spec.job());
  }
}

}  // namespace

int TaskZygoteMain() {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a zygote without its daemon has nothing to do
  const pid_t daemon = ::getppid();
  if (daemon == 1) return 3;
  while (true) {
    Received r;
    const bool ok = ReceiveRequest(&r);
    if (!ok) {
      for (int i = 0; i < r.num_fds; ++i) ::close(r.fds[i]);
      return 0;
    }
    const int64_t answer = ForkRunner(r, daemon);
    for (int i = 0; i < r.num_fds; ++i) ::close(r.fds[i]);
    if (::send(kSocketFd, &answer, sizeof answer, MSG_NOSIGNAL) != sizeof answer) return 0;
    if (answer > 0) PreloadFormatsOf(r.work_dir);
  }
}

StatusOr<std::unique_ptr<TaskZygote>> TaskZygote::Start(const std::string& exe, const std::vector<std::string>& env) {
  int sockets[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0) {
    return Internal(std::string("socketpair: ") + std::strerror(errno));
  }
  SpawnSpec child;
  child.argv = {exe, "task-zygote"};
  child.name = "the task fork server " + exe;
  child.env = env;
  child.Open(0, "/dev/null", O_RDONLY).Dup(sockets[1], kSocketFd);
  child.close_from = kSocketFd + 1;
  StatusOr<pid_t> pid = Spawn(child);
  ::close(sockets[1]);
  if (!pid.ok()) {
    ::close(sockets[0]);
    return pid.status();
  }
  return std::unique_ptr<TaskZygote>(new TaskZygote(*pid, sockets[0]));
}

StatusOr<std::unique_ptr<TaskZygote>> TaskZygote::ForkFromHere(const std::vector<std::string>& scrub_env) {
  if (!SingleThreaded()) return FailedPrecondition("this process has threads: the fork server must be exec'd");
  int sockets[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0) {
    return Internal(std::string("socketpair: ") + std::strerror(errno));
  }
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(sockets[0]);
    ::close(sockets[1]);
    return Internal(std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    ScrubEnvironment(scrub_env);
    (void)SetProcessTitle({"aviary", "task-zygote"});
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(sockets[1], kSocketFd) < 0) ::_exit(2);
    ::close_range(kSocketFd + 1, ~0U, 0);
    ::_exit(TaskZygoteMain());
  }
  ::close(sockets[1]);
  return std::unique_ptr<TaskZygote>(new TaskZygote(pid, sockets[0]));
}

TaskZygote::~TaskZygote() {
  if (socket_fd_ >= 0) ::close(socket_fd_);
  SignalProcess(pid_, SIGKILL);
  (void)WaitForExit(pid_);
}

StatusOr<pid_t> TaskZygote::Fork(const std::string& work_dir, uint32_t cpu_limit_seconds, int output_fd,
                                 int progress_fd, int secret_fd) {
  if (socket_fd_ < 0) return Unavailable("the task fork server is gone");
  if (work_dir.size() > kMaxWorkDir) return InvalidArgument("work dir too long for the task fork server");
  const Request request = {kMagic, cpu_limit_seconds, static_cast<uint32_t>(work_dir.size()), secret_fd >= 0};
  std::string payload(reinterpret_cast<const char*>(&request), sizeof request);
  payload += work_dir;
  const int fds[3] = {output_fd, progress_fd, secret_fd};
  const int num_fds = secret_fd >= 0 ? 3 : 2;
  alignas(struct cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))] = {};
  struct iovec iov = {payload.data(), payload.size()};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(static_cast<size_t>(num_fds) * sizeof(int));
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(static_cast<size_t>(num_fds) * sizeof(int));
  std::memcpy(CMSG_DATA(c), fds, static_cast<size_t>(num_fds) * sizeof(int));
  int64_t answer = 0;
  const bool sent = ::sendmsg(socket_fd_, &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(payload.size());
  const bool answered = sent && WaitReadable(socket_fd_, kReplyTimeoutMs) &&
                        ::recv(socket_fd_, &answer, sizeof answer, 0) == static_cast<ssize_t>(sizeof answer);
  if (!answered) {
    // Out of step or dead: never used again (a late answer would be taken for the next request's).
    ::close(socket_fd_);
    socket_fd_ = -1;
    if (!sent) return Unavailable("the task fork server is gone");
    // It may have forked the runner all the same: this attempt fails rather than run twice (a
    // runner that did start is the daemon's child, and swept as a leftover).
    return Internal("the task fork server did not answer within " + std::to_string(kReplyTimeoutMs / 1000) + " s");
  }
  if (answer <= 0) {
    return Unavailable(std::string("the task fork server could not fork: ") + std::strerror(static_cast<int>(-answer)));
  }
  return static_cast<pid_t>(answer);
}

}  // namespace aviary::worker
