#include "common/listen_policy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <memory>

#include <spdlog/spdlog.h>

#include "common/host_port.h"

namespace aviary {
namespace {

bool AllDigits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsLoopbackAddress(const sockaddr* addr) {
  if (addr->sa_family == AF_INET) {
    const uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(addr)->sin_addr.s_addr);
    return (ip >> 24) == 127;
  }
  if (addr->sa_family == AF_INET6) {
    const in6_addr& ip = reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&ip)) return true;
    return IN6_IS_ADDR_V4MAPPED(&ip) && ip.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace

std::string ListenOnLoopbackByDefault(const std::string& listen) {
  if (AllDigits(listen)) return "127.0.0.1:" + listen;
  if (listen.size() > 1 && listen[0] == ':' && AllDigits(listen.substr(1))) return "127.0.0.1" + listen;
  return listen;
}

StatusOr<bool> IsLoopbackListen(const std::string& listen) {
  const std::string host = HostOf(listen);
  if (host.empty() || host == "*") return false;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    return InvalidArgument("cannot resolve the host of listen address '" + listen + "': " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, &::freeaddrinfo);
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (!IsLoopbackAddress(a->ai_addr)) return false;
  }
  return found != nullptr;
}

Status CheckListen(const std::string& listen, const ListenSecurity& security, bool insecure) {
  ASSIGN_OR_RETURN(const bool loopback, IsLoopbackListen(listen));
  if (!security.authentication.empty()) {
    spdlog::info("{} on {}: callers authenticated by {}", security.what, listen, security.authentication);
    return Status::OK();
  }
  if (loopback) {
    spdlog::info("{} on {}: no authentication, so loopback only", security.what, listen);
    return Status::OK();
  }
  if (insecure) {
    spdlog::warn("{} on {}: NO AUTHENTICATION on a network address (--insecure): anyone who reaches it is trusted",
                 security.what, listen);
    return Status::OK();
  }
  return PermissionDenied("refusing to serve the " + security.what + " on " + listen +
                          " without authentication: anyone who reaches it could use it. " + security.how_to_secure +
                          ", listen on a loopback address (127.0.0.1), or pass --insecure to accept the risk");
}

}  // namespace aviary
