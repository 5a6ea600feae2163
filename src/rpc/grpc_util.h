// Glue between Aviary and gRPC: Status conversion and the one place where channels and servers
// are created, so transport security is configured once for every RPC in the system.
#ifndef AVIARY_RPC_GRPC_UTIL_H_
#define AVIARY_RPC_GRPC_UTIL_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/status.h"

namespace aviary::rpc {

// Status codes are the same numbers on both sides.
grpc::Status ToGrpc(const Status& status);
Status FromGrpc(const grpc::Status& status, const std::string& peer);

// Credentials and limits shared by every client and server of one cluster.
struct TransportOptions {
  std::string secret;  // cluster secret; empty disables authentication (local mode only)
  // TLS, PEM text. With a certificate and key, servers speak TLS and clients present them (mutual
  // TLS); with a CA, clients verify servers against it and servers require client certificates
  // signed by it. A client with only a CA speaks TLS without a certificate of its own.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;

  bool tls() const { return !tls_ca.empty() || !tls_cert.empty(); }
};

// Process-wide transport settings; set once at startup, before any channel or server exists.
void SetTransportOptions(const TransportOptions& options);
const TransportOptions& GetTransportOptions();
// Overwrites the secret's and the TLS key's bytes and clears them: a task runner calls it once it
// has fetched its inputs, before it loads user code (docs/reliability.md, "User code is contained").
void ForgetSecret();
// The secret and TLS material as one string for a task process's pipe, and back; Decode returns
// false on bytes that are no such encoding.
std::string EncodeTransportSecrets(const TransportOptions& options);
bool DecodeTransportSecrets(const std::string& bytes, TransportOptions* options);
// Checks the TLS settings before any channel or server exists: a certificate without its key (or
// the reverse), or PEM text gRPC would refuse later with no word of why.
Status CheckTls(const TransportOptions& options);

// The real channel to `address`; clients get it through ChannelFactory::Default()
// (channel_factory.h), so that tests can substitute a fake network.
// `window_bytes` > 0 fixes each stream's receive window at that size (no BDP auto-tuning): what
// the peer may send ahead of the reader, so the memory a bulk stream can take is bounded.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, int window_bytes = 0);
// Attaches the cluster credentials and a deadline to an outgoing call.
void PrepareContext(grpc::ClientContext* context, std::chrono::milliseconds timeout);
// Configures a server builder: listening address, credentials, message size limits.
// `*selected_port` receives the bound port (useful with port 0).
void ConfigureServer(grpc::ServerBuilder* builder, const std::string& listen, int* selected_port);

// Largest message we accept: protects daemons from oversized requests.
inline constexpr int kMaxMessageBytes = 64 << 20;

}  // namespace aviary::rpc

#endif  // AVIARY_RPC_GRPC_UTIL_H_
