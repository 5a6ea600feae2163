// Authentication of incoming RPCs with the cluster secret (see grpc_util.h TransportOptions).
#ifndef AVIARY_RPC_AUTH_H_
#define AVIARY_RPC_AUTH_H_

#include <grpcpp/grpcpp.h>

#include "common/status.h"

namespace aviary::rpc {

// OK when the cluster has no secret or the call carries the right one; otherwise
// Unauthenticated, and the refusal is logged with the peer and method (never the secret).
Status CheckAuth(const grpc::ServerContext* context, const char* method);

}  // namespace aviary::rpc

#endif  // AVIARY_RPC_AUTH_H_
