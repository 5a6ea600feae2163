// TLS for the gateway's two sides, on OpenSSL. To its clients it serves TLS only, with the PEM
// file of `--tls-certificate-key-file` (certificate chain and private key in one file, as
// mongod's option of that name takes). To the upstream it speaks TLS when the --upstream URI
// asks for it, with MongoDB's URI options: tls=true (or ssl=true), tlsCAFile,
// tlsCertificateKeyFile, tlsAllowInvalidCertificates, tlsAllowInvalidHostnames, tlsInsecure.
//
// Thread safety: a TlsContext is immutable once made and shared by every connection thread.
#ifndef AVIARY_GATEWAY_TLS_H_
#define AVIARY_GATEWAY_TLS_H_

#include <memory>
#include <string>

#include "common/status.h"
#include "gateway/socket.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace aviary::gateway {

// What an upstream URI's options say about TLS.
struct UpstreamTls {
  bool enabled = false;
  std::string ca_file;               // empty: the system's trusted CAs
  std::string certificate_key_file;  // the gateway's client certificate, if the upstream wants one
  bool verify_certificate = true;
  bool verify_hostname = true;
};

// InvalidArgument, naming the option, for a value that is not true/false or an unknown tls option.
StatusOr<UpstreamTls> ParseUpstreamTls(const std::string& uri);

class TlsContext {
 public:
  // InvalidArgument naming the file when it holds no certificate or no matching private key.
  static StatusOr<std::shared_ptr<const TlsContext>> ForServer(const std::string& certificate_key_file);
  static StatusOr<std::shared_ptr<const TlsContext>> ForUpstream(const UpstreamTls& tls);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // The server side of the handshake on an accepted socket (bounded by `timeout_ms`, so a client
  // that never speaks cannot hold a connection slot). Unavailable with OpenSSL's reason.
  StatusOr<Stream> Accept(Fd fd, int timeout_ms) const;
  // The client side on a socket connected to `host` (a name or an IP address, which the
  // upstream's certificate must name unless hostname checks are off).
  StatusOr<Stream> Connect(Fd fd, const std::string& host) const;

 private:
  TlsContext(ssl_ctx_st* ctx, bool verify_hostname) : ctx_(ctx), verify_hostname_(verify_hostname) {}

  ssl_ctx_st* ctx_;  // owned
  bool verify_hostname_;
};

}  // namespace aviary::gateway

#endif  // AVIARY_GATEWAY_TLS_H_
