#include "gateway/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cctype>

namespace aviary::gateway {
namespace {

constexpr int kUpstreamHandshakeMs = 10'000;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// %XX escapes, as URI option values carry paths.
std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

StatusOr<bool> ParseBool(const std::string& name, const std::string& value) {
  if (value == "true") return true;
  if (value == "false") return false;
  return InvalidArgument("--upstream option " + name + "=" + value + ": must be true or false");
}

void SetTimeout(int fd, int timeout_ms) {
  timeval t{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof t);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &t, sizeof t);
}

Status LoadCertificateKey(SSL_CTX* ctx, const std::string& file, const std::string& what) {
  if (SSL_CTX_use_certificate_chain_file(ctx, file.c_str()) != 1) {
    return InvalidArgument(what + " " + file + ": no PEM certificate read from it (" + TlsErrorText() + ")");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return InvalidArgument(what + " " + file + ": no PEM private key read from it; the file must hold the certificate and its key (" +
                           TlsErrorText() + ")");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return InvalidArgument(what + " " + file + ": the private key does not belong to the certificate");
  }
  return Status::OK();
}

SSL_CTX* NewContext(const SSL_METHOD* method) {
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (ctx != nullptr) {
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);  // what MongoDB servers and drivers accept
    SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
    // Drivers often close without a close_notify: an end of stream, not an error.
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  }
  return ctx;
}

}  // namespace

StatusOr<UpstreamTls> ParseUpstreamTls(const std::string& uri) {
  UpstreamTls tls;
  const size_t query = uri.find('?');
  if (query == std::string::npos) return tls;
  std::string rest = uri.substr(query + 1);
  bool insecure = false;
  bool said = false;  // tls= or ssl= given
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string option = rest.substr(0, amp);
    rest = amp == std::string::npos ? "" : rest.substr(amp + 1);
    const size_t eq = option.find('=');
    const std::string name = option.substr(0, eq);
    const std::string key = Lower(name);
    const std::string value = eq == std::string::npos ? "" : PercentDecode(option.substr(eq + 1));
    if (key == "tls" || key == "ssl") {
      ASSIGN_OR_RETURN(tls.enabled, ParseBool(name, value));
      said = true;
    } else if (key == "tlscafile") {
      tls.ca_file = value;
    } else if (key == "tlscertificatekeyfile") {
      tls.certificate_key_file = value;
    } else if (key == "tlsallowinvalidcertificates") {
      ASSIGN_OR_RETURN(bool allow, ParseBool(name, value));
      tls.verify_certificate = !allow;
    } else if (key == "tlsallowinvalidhostnames") {
      ASSIGN_OR_RETURN(bool allow, ParseBool(name, value));
      tls.verify_hostname = !allow;
    } else if (key == "tlsinsecure") {
      ASSIGN_OR_RETURN(insecure, ParseBool(name, value));
    } else if (key.rfind("tls", 0) == 0 || key.rfind("ssl", 0) == 0) {
      return InvalidArgument("--upstream option " + name + " is not supported by the gateway's relay");
    }
  }
  if (insecure) tls.verify_certificate = tls.verify_hostname = false;
  if (!tls.ca_file.empty() || !tls.certificate_key_file.empty()) {
    if (said && !tls.enabled) return InvalidArgument("--upstream names TLS files but says tls=false");
    tls.enabled = true;  // naming a CA file or a client certificate asks for TLS
  }
  return tls;
}

StatusOr<std::shared_ptr<const TlsContext>> TlsContext::ForServer(const std::string& certificate_key_file) {
  SSL_CTX* ctx = NewContext(TLS_server_method());
  if (ctx == nullptr) return Internal("cannot make a TLS context: " + TlsErrorText());
  std::shared_ptr<const TlsContext> out(new TlsContext(ctx, false));
  RETURN_IF_ERROR(LoadCertificateKey(ctx, certificate_key_file, "--tls-certificate-key-file"));
  return out;
}

StatusOr<std::shared_ptr<const TlsContext>> TlsContext::ForUpstream(const UpstreamTls& tls) {
  SSL_CTX* ctx = NewContext(TLS_client_method());
  if (ctx == nullptr) return Internal("cannot make a TLS context: " + TlsErrorText());
  std::shared_ptr<const TlsContext> out(new TlsContext(ctx, tls.verify_hostname && tls.verify_certificate));
  const int loaded = tls.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                         : SSL_CTX_load_verify_locations(ctx, tls.ca_file.c_str(), nullptr);
  if (loaded != 1) return InvalidArgument("--upstream tlsCAFile " + tls.ca_file + ": no CA certificate read from it (" + TlsErrorText() + ")");
  SSL_CTX_set_verify(ctx, tls.verify_certificate ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (!tls.certificate_key_file.empty()) {
    RETURN_IF_ERROR(LoadCertificateKey(ctx, tls.certificate_key_file, "--upstream tlsCertificateKeyFile"));
  }
  return out;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

StatusOr<Stream> TlsContext::Accept(Fd fd, int timeout_ms) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return Internal("cannot start a TLS session: " + TlsErrorText());
  const int raw = fd.get();
  Stream stream(std::move(fd), ssl);  // owns ssl from here on
  SSL_set_fd(ssl, raw);
  SetTimeout(raw, timeout_ms);
  ERR_clear_error();
  if (SSL_accept(ssl) != 1) return Unavailable("TLS handshake with a client failed: " + TlsErrorText());
  SetTimeout(raw, 0);  // a client may stay idle between requests as long as it likes
  return stream;
}

StatusOr<Stream> TlsContext::Connect(Fd fd, const std::string& host) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return Internal("cannot start a TLS session: " + TlsErrorText());
  const int raw = fd.get();
  Stream stream(std::move(fd), ssl);
  SSL_set_fd(ssl, raw);
  unsigned char address[16];
  const bool is_ip = inet_pton(AF_INET, host.c_str(), address) == 1 || inet_pton(AF_INET6, host.c_str(), address) == 1;
  if (!is_ip) SSL_set_tlsext_host_name(ssl, host.c_str());  // SNI carries names only
  if (verify_hostname_) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const int set = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    if (set != 1) return InvalidArgument("cannot check the upstream's certificate against '" + host + "'");
  }
  SetTimeout(raw, kUpstreamHandshakeMs);
  ERR_clear_error();
  if (SSL_connect(ssl) != 1) {
    const long verify = SSL_get_verify_result(ssl);
    std::string why = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : TlsErrorText();
    return Unavailable("TLS handshake with the upstream " + host + " failed: " + why);
  }
  SetTimeout(raw, 0);
  return stream;
}

}  // namespace aviary::gateway
