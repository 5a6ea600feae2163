#include "gateway/socket.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/host_port.h"

namespace aviary::gateway {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

int Fd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

Stream& Stream::operator=(Stream&& o) noexcept {
  if (this != &o) {
    if (ssl_ != nullptr) SSL_free(ssl_);
    fd_ = std::move(o.fd_);
    ssl_ = o.ssl_;
    o.ssl_ = nullptr;
  }
  return *this;
}

Stream::~Stream() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

Status Stream::ReadExactly(char* buf, size_t n, bool* eof_at_start) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = 0;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      r = SSL_read(ssl_, buf + got, static_cast<int>(std::min<size_t>(n - got, 1 << 30)));
      if (r <= 0) {
        const int why = SSL_get_error(ssl_, static_cast<int>(r));
        if (why == SSL_ERROR_SYSCALL && r < 0 && errno == EINTR) continue;
        // A close_notify, or a peer that just closed the socket: both end the stream.
        const bool closed = why == SSL_ERROR_ZERO_RETURN || (why == SSL_ERROR_SYSCALL && ERR_peek_error() == 0);
        if (!closed) return Unavailable("TLS read: " + TlsErrorText());
        r = 0;
      }
    } else {
      r = ::recv(fd_.get(), buf + got, n - got, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Unavailable(std::string("recv: ") + std::strerror(errno));
    }
    if (r == 0) {
      if (eof_at_start != nullptr && got == 0) *eof_at_start = true;
      return Unavailable("connection closed mid-frame");
    }
    got += static_cast<size_t>(r);
  }
  return Status::OK();
}

Status Stream::WriteAll(std::string_view bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t w = 0;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      w = SSL_write(ssl_, bytes.data() + sent, static_cast<int>(std::min<size_t>(bytes.size() - sent, 1 << 30)));
      if (w <= 0) {
        if (SSL_get_error(ssl_, static_cast<int>(w)) == SSL_ERROR_SYSCALL && errno == EINTR) continue;
        return Unavailable("TLS write: " + TlsErrorText());
      }
    } else {
      w = ::send(fd_.get(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Unavailable(std::string("send: ") + std::strerror(errno));
    }
    sent += static_cast<size_t>(w);
  }
  return Status::OK();
}

void Stream::DrainAndClose() {
  if (ssl_ != nullptr) SSL_shutdown(ssl_);  // close_notify; the peer's answer is not awaited
  ::shutdown(fd_.get(), SHUT_WR);
  timeval timeout{0, 200'000};
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char buf[16384];
  for (size_t total = 0; total < (1u << 20);) {
    const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n <= 0) return;
    total += static_cast<size_t>(n);
  }
}

std::string TlsErrorText() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return errno != 0 ? std::strerror(errno) : "connection closed";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

namespace {

StatusOr<addrinfo*> Resolve(const std::string& hp, bool passive) {
  std::string host, port;
  if (!SplitHostPort(hp, &host, &port)) return InvalidArgument("'" + hp + "' is not HOST:PORT");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (passive) hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return Unavailable("cannot resolve " + hp + ": " + gai_strerror(rc));
  }
  return res;
}

}  // namespace

void SetNoDelay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

StatusOr<Fd> Listen(const std::string& host_port, int* port) {
  StatusOr<addrinfo*> res = Resolve(host_port, true);
  if (!res.ok()) return res.status();
  Status last = Unavailable("no address for " + host_port);
  for (addrinfo* a = *res; a != nullptr; a = a->ai_next) {
    Fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    const int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (!fd.valid() || ::bind(fd.get(), a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd.get(), 512) != 0) {
      last = Unavailable("cannot listen on " + host_port + ": " + std::strerror(errno));
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len);
    *port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    freeaddrinfo(*res);
    return fd;
  }
  freeaddrinfo(*res);
  return last;
}

StatusOr<Fd> Connect(const std::string& host_port) {
  StatusOr<addrinfo*> res = Resolve(host_port, false);
  if (!res.ok()) return res.status();
  Status last = Unavailable("no address for " + host_port);
  for (addrinfo* a = *res; a != nullptr; a = a->ai_next) {
    Fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (!fd.valid() || ::connect(fd.get(), a->ai_addr, a->ai_addrlen) != 0) {
      last = Unavailable("cannot connect to " + host_port + ": " + std::strerror(errno));
      continue;
    }
    SetNoDelay(fd.get());
    freeaddrinfo(*res);
    return fd;
  }
  freeaddrinfo(*res);
  return last;
}

Status ReadFrame(Stream& stream, Header* header, std::string* frame, bool reply) {
  char head[kHeaderBytes];
  bool eof = false;
  if (Status s = stream.ReadExactly(head, kHeaderBytes, &eof); !s.ok()) return eof ? NotFound("end of stream") : s;
  *header = ParseHeader(reinterpret_cast<const uint8_t*>(head));
  if (std::string why = CheckHeader(*header, reply); !why.empty()) return InvalidArgument(why);
  frame->resize(static_cast<size_t>(header->length));
  std::memcpy(frame->data(), head, kHeaderBytes);
  return stream.ReadExactly(frame->data() + kHeaderBytes, frame->size() - kHeaderBytes, nullptr);
}

StatusOr<std::string> FirstHost(const std::string& uri) {
  const std::string scheme = "mongodb://";
  if (uri.rfind(scheme, 0) != 0) return InvalidArgument("upstream '" + uri + "' is not a mongodb:// URI");
  std::string rest = uri.substr(scheme.size());
  rest = rest.substr(0, rest.find_first_of("/?"));
  if (const size_t at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  rest = rest.substr(0, rest.find(','));
  if (rest.empty()) return InvalidArgument("upstream '" + uri + "' names no host");
  const size_t bracket = rest.rfind(']');
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket)) rest += ":27017";
  return rest;
}

}  // namespace aviary::gateway
