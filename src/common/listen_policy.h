// Where a daemon may listen (docs/reliability.md, "Closed by default"): a daemon that cannot tell
// who is calling serves only this machine unless its operator says otherwise with --insecure.
#ifndef AVIARY_COMMON_LISTEN_POLICY_H_
#define AVIARY_COMMON_LISTEN_POLICY_H_

#include <string>

#include "common/status.h"

namespace aviary {

// "PORT" and ":PORT" mean the loopback interface: 127.0.0.1:PORT. Anything else is returned as is.
std::string ListenOnLoopbackByDefault(const std::string& listen);

// Whether HOST of HOST:PORT reaches only this machine: 127.0.0.0/8, ::1 (bracketed or not), or a
// name whose every address is one of those. The wildcard (0.0.0.0, ::, an empty host) is not.
// A name that does not resolve is an error naming it.
StatusOr<bool> IsLoopbackListen(const std::string& listen);

// How callers of one listening socket are authenticated.
struct ListenSecurity {
  std::string what;            // "coordinator RPC", "web UI", ...: for messages
  std::string authentication;  // e.g. "the cluster secret"; empty: nobody is authenticated
  std::string how_to_secure;   // what the operator can set to authenticate callers
};

// Refuses a non-loopback `listen` without authentication unless `insecure`; logs which of the
// three cases this is (authenticated, loopback only, or open by the operator's choice).
Status CheckListen(const std::string& listen, const ListenSecurity& security, bool insecure);

}  // namespace aviary

#endif  // AVIARY_COMMON_LISTEN_POLICY_H_
