// TLS for the HTTP front: the daemon's own certificate (the PEM of --tls-cert and --tls-key, as
// gRPC uses it) on an OpenSSL context for httplib's SSLServer. No client certificate is asked
// for: browsers rarely have one, pages are read-only, and a cancel needs the cluster secret.
//
// Thread safety: free functions.
#ifndef AVIARY_HTTP_HTTPS_H_
#define AVIARY_HTTP_HTTPS_H_

#include <string>

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace aviary::http {

// Sets `ctx` up to serve TLS 1.2 or later with `cert_pem` (the certificate, then any chain
// certificates) and `key_pem`. False, with `error` saying what, when the PEM does not parse or the
// key does not match the certificate.
bool UseServerPem(ssl_ctx_st& ctx, const std::string& cert_pem, const std::string& key_pem, std::string* error);

}  // namespace aviary::http

#endif  // AVIARY_HTTP_HTTPS_H_
