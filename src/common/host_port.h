// "HOST:PORT" addresses as daemons, workers and upstreams give them.
#ifndef AVIARY_COMMON_HOST_PORT_H_
#define AVIARY_COMMON_HOST_PORT_H_

#include <string>

namespace aviary {

// Splits at the last ':' ("[::1]:27017" gives host "::1", without its brackets); false, with
// nothing set, when there is no ':' or nothing after it.
bool SplitHostPort(const std::string& host_port, std::string* host, std::string* port);

// The host of "HOST:PORT" as SplitHostPort() finds it; the whole string when it has no port.
std::string HostOf(const std::string& host_port);

}  // namespace aviary

#endif  // AVIARY_COMMON_HOST_PORT_H_
