#include "common/host_port.h"

namespace aviary {

bool SplitHostPort(const std::string& host_port, std::string* host, std::string* port) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos || colon + 1 == host_port.size()) return false;
  *host = host_port.substr(0, colon);
  *port = host_port.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  return true;
}

std::string HostOf(const std::string& host_port) {
  std::string host, port;
  return SplitHostPort(host_port, &host, &port) ? host : host_port;
}

}  // namespace aviary
