// Blocking TCP sockets for the gateway: listen, connect, whole-frame reads and writes.
#ifndef AVIARY_GATEWAY_SOCKET_H_
#define AVIARY_GATEWAY_SOCKET_H_

#include <string>

#include "common/status.h"
#include "gateway/wire.h"

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

// Listens on "HOST:PORT" (port 0: any free one); `*port` gets the bound port.
StatusOr<Fd> Listen(const std::string& host_port, int* port);
// Connects to "HOST:PORT" with TCP_NODELAY.
StatusOr<Fd> Connect(const std::string& host_port);
void SetNoDelay(int fd);

// Reads one frame: the header, checked with CheckHeader, then the rest. NotFound at a clean
// end of stream before a header; InvalidArgument (with `*header` set) for a header the gateway
// refuses, without reading its body; Unavailable for I/O errors or a truncated frame.
// `reply`: the frame comes from a server (CheckHeader's `reply`).
Status ReadFrame(int fd, Header* header, std::string* frame, bool reply = false);
Status WriteAll(int fd, std::string_view bytes);

// "host:port" of the first host of a mongodb:// URI (port 27017 if none).
StatusOr<std::string> FirstHost(const std::string& uri);

}  // namespace aviary::gateway

#endif  // AVIARY_GATEWAY_SOCKET_H_
