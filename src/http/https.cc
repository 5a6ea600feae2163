#include "http/https.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <memory>

namespace aviary::http {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioFree> MemoryBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::string OpenSslReason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no reason given";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// The leaf certificate, then every chain certificate after it.
bool UseCertificateChain(SSL_CTX& ctx, const std::string& cert_pem, std::string* error) {
  auto bio = MemoryBio(cert_pem);
  std::unique_ptr<X509, X509Free> leaf(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!leaf || SSL_CTX_use_certificate(&ctx, leaf.get()) != 1) {
    *error = "the TLS certificate (--tls-cert) holds no usable certificate: " + OpenSslReason();
    return false;
  }
  while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(&ctx, extra) != 1) {  // takes ownership on success only
      X509_free(extra);
      *error = "cannot add a chain certificate of --tls-cert: " + OpenSslReason();
      return false;
    }
  }
  ERR_clear_error();  // the loop ends on "no start line"
  return true;
}

}  // namespace

bool UseServerPem(ssl_ctx_st& ctx, const std::string& cert_pem, const std::string& key_pem, std::string* error) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  if (!UseCertificateChain(ctx, cert_pem, error)) return false;
  auto bio = MemoryBio(key_pem);
  std::unique_ptr<EVP_PKEY, KeyFree> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key || SSL_CTX_use_PrivateKey(&ctx, key.get()) != 1) {
    *error = "the TLS key (--tls-key) holds no usable private key: " + OpenSslReason();
    return false;
  }
  if (SSL_CTX_check_private_key(&ctx) != 1) {
    *error = "the TLS key (--tls-key) does not match the certificate (--tls-cert): " + OpenSslReason();
    return false;
  }
  return true;
}

}  // namespace aviary::http
