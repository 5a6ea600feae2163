// Blocking TCP sockets for the gateway: listen, connect, and whole-frame reads and writes on a
// Stream, which is a plain socket or a TLS session over one (tls.h makes those).
#ifndef AVIARY_GATEWAY_SOCKET_H_
#define AVIARY_GATEWAY_SOCKET_H_

#include <string>
#include <string_view>

#include "common/status.h"
#include "gateway/wire.h"

struct ssl_st;  // OpenSSL's SSL

namespace aviary::gateway {

// An owned file descriptor, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  int release();
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// A connected socket, plain or TLS (then it owns the OpenSSL session). Thread-compatible.
class Stream {
 public:
  Stream() = default;
  explicit Stream(Fd fd) : fd_(std::move(fd)) {}
  Stream(Fd fd, ssl_st* ssl) : fd_(std::move(fd)), ssl_(ssl) {}
  Stream(Stream&& o) noexcept : fd_(std::move(o.fd_)), ssl_(o.ssl_) { o.ssl_ = nullptr; }
  Stream& operator=(Stream&& o) noexcept;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream();

  int fd() const { return fd_.get(); }
  bool valid() const { return fd_.valid(); }
  bool tls() const { return ssl_ != nullptr; }
  // Reads exactly `n` bytes. Unavailable on I/O errors or an early end; `*eof_at_start` (if
  // given) tells an end of stream before the first byte.
  Status ReadExactly(char* buf, size_t n, bool* eof_at_start);
  Status WriteAll(std::string_view bytes);
  // Ends our side and discards a little of what the peer still sends (at most 1 MiB or
  // 200 ms), so that our last reply is not lost to a reset.
  void DrainAndClose();

 private:
  Fd fd_;
  ssl_st* ssl_ = nullptr;  // owned; null for a plain socket
};

// Listens on "HOST:PORT" (port 0: any free one); `*port` gets the bound port.
StatusOr<Fd> Listen(const std::string& host_port, int* port);
// Connects to "HOST:PORT" with TCP_NODELAY.
StatusOr<Fd> Connect(const std::string& host_port);
void SetNoDelay(int fd);

// Reads one frame: the header, checked with CheckHeader, then the rest. NotFound at a clean
// end of stream before a header; InvalidArgument (with `*header` set) for a header the gateway
// refuses, without reading its body; Unavailable for I/O errors or a truncated frame.
// `reply`: the frame comes from a server (CheckHeader's `reply`).
Status ReadFrame(Stream& stream, Header* header, std::string* frame, bool reply = false);

// The text of OpenSSL's oldest queued error on this thread (the queue is cleared), or errno's.
std::string TlsErrorText();

// "host:port" of the first host of a mongodb:// URI (port 27017 if none).
StatusOr<std::string> FirstHost(const std::string& uri);

}  // namespace aviary::gateway

#endif  // AVIARY_GATEWAY_SOCKET_H_
