#include "gateway/tls.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

namespace aviary::gateway {
namespace {

TEST(ParseUpstreamTlsTest, NoOptionsMeansPlain) {
  StatusOr<UpstreamTls> tls = ParseUpstreamTls("mongodb://h:1/db");
  ASSERT_TRUE(tls.ok());
  EXPECT_FALSE(tls->enabled);
}

TEST(ParseUpstreamTlsTest, ReadsMongoDbsOptionsCaseInsensitivelyAndDecodesPaths) {
  StatusOr<UpstreamTls> tls =
      ParseUpstreamTls("mongodb://u:p@h:1/?retryWrites=false&TLS=true&tlsCAFile=%2Ftmp%2Fca.pem&tlsAllowInvalidHostnames=true");
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  EXPECT_TRUE(tls->enabled);
  EXPECT_EQ(tls->ca_file, "/tmp/ca.pem");
  EXPECT_TRUE(tls->verify_certificate);
  EXPECT_FALSE(tls->verify_hostname);
}

TEST(ParseUpstreamTlsTest, SslIsTlsAndInsecureTurnsOffBothChecks) {
  StatusOr<UpstreamTls> tls = ParseUpstreamTls("mongodb://h/?ssl=true&tlsInsecure=true");
  ASSERT_TRUE(tls.ok());
  EXPECT_TRUE(tls->enabled);
  EXPECT_FALSE(tls->verify_certificate);
  EXPECT_FALSE(tls->verify_hostname);
}

TEST(ParseUpstreamTlsTest, ACaFileAsksForTls) {
  StatusOr<UpstreamTls> tls = ParseUpstreamTls("mongodb://h/?tlsCAFile=/ca.pem");
  ASSERT_TRUE(tls.ok());
  EXPECT_TRUE(tls->enabled);
}

TEST(ParseUpstreamTlsTest, RefusesWhatItCannotHonour) {
  EXPECT_NE(ParseUpstreamTls("mongodb://h/?tls=yes").status().message().find("tls=yes: must be true or false"), std::string::npos);
  EXPECT_NE(ParseUpstreamTls("mongodb://h/?tlsCertificateKeyFilePassword=x").status().message().find("not supported"),
            std::string::npos);
  EXPECT_FALSE(ParseUpstreamTls("mongodb://h/?tls=false&tlsCAFile=/ca.pem").ok());
}

// A self-signed certificate for localhost and 127.0.0.1, with its key, in one PEM file.
class CertificateFile {
 public:
  explicit CertificateFile(const char* cn = "localhost") {
    char name[] = "/tmp/aviary-tls-test-XXXXXX";
    const int fd = ::mkstemp(name);
    path_ = name;
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* subject = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
    X509_set_issuer_name(cert, subject);
    AddExtension(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    AddExtension(cert, NID_basic_constraints, "critical,CA:TRUE");
    X509_sign(cert, key, EVP_sha256());
    FILE* f = ::fdopen(fd, "w");
    PEM_write_X509(f, cert);
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  ~CertificateFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static void AddExtension(X509* cert, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }

  std::string path_;
};

struct Pair {
  Fd server, client;
};

Pair SocketPair() {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  return {Fd(fds[0]), Fd(fds[1])};
}

// Runs the server side on a thread while the client side runs here.
struct Handshake {
  StatusOr<Stream> server = Internal("not run");
  StatusOr<Stream> client = Internal("not run");
};

Handshake Shake(const TlsContext& server, const TlsContext& client, const std::string& host) {
  Pair p = SocketPair();
  Handshake h;
  std::thread t([&] { h.server = server.Accept(std::move(p.server), 5000); });
  h.client = client.Connect(std::move(p.client), host);  // a failed one closes: the server's side fails too
  t.join();
  return h;
}

TEST(TlsContextTest, AVerifiedHandshakeCarriesFramesBothWays) {
  CertificateFile cert;
  auto server = TlsContext::ForServer(cert.path());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  UpstreamTls options;
  options.enabled = true;
  options.ca_file = cert.path();
  auto client = TlsContext::ForUpstream(options);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  for (const char* host : {"localhost", "127.0.0.1"}) {
    Handshake h = Shake(**server, **client, host);
    ASSERT_TRUE(h.server.ok()) << h.server.status().ToString();
    ASSERT_TRUE(h.client.ok()) << h.client.status().ToString();
    EXPECT_TRUE(h.client->tls());
    ASSERT_TRUE(h.client->WriteAll("ping").ok());
    char buf[4];
    ASSERT_TRUE(h.server->ReadExactly(buf, 4, nullptr).ok());
    EXPECT_EQ(std::string(buf, 4), "ping");
    h.client = Internal("closed");  // the client goes away: the server reads an end of stream
    bool eof = false;
    EXPECT_FALSE(h.server->ReadExactly(buf, 1, &eof).ok());
    EXPECT_TRUE(eof);
  }
}

// An upstream handshake to `host` against a server with `cert`, trusting `ca`: refused with
// `why` in the message; accepted once `relax` turns the failing check off.
void ExpectRefusedUnlessRelaxed(const CertificateFile& cert, const CertificateFile& ca, const std::string& host,
                                const std::string& why, void (*relax)(UpstreamTls*)) {
  auto server = TlsContext::ForServer(cert.path());
  UpstreamTls options;
  options.enabled = true;
  options.ca_file = ca.path();
  auto client = TlsContext::ForUpstream(options);
  ASSERT_TRUE(server.ok() && client.ok());
  Handshake h = Shake(**server, **client, host);
  ASSERT_FALSE(h.client.ok());
  EXPECT_NE(h.client.status().message().find(why), std::string::npos) << h.client.status().ToString();
  relax(&options);
  auto lenient = TlsContext::ForUpstream(options);
  ASSERT_TRUE(lenient.ok());
  EXPECT_TRUE(Shake(**server, **lenient, host).client.ok());
}

TEST(TlsContextTest, AnUpstreamWhoseCertificateNamesAnotherHostIsRefused) {
  CertificateFile cert;
  ExpectRefusedUnlessRelaxed(cert, cert, "db.example.com", "hostname mismatch",
                             [](UpstreamTls* o) { o->verify_hostname = false; });  // tlsAllowInvalidHostnames
}

TEST(TlsContextTest, AnUpstreamSignedByAnotherCaIsRefusedUnlessChecksAreOff) {
  CertificateFile cert, other("other");
  ExpectRefusedUnlessRelaxed(cert, other, "localhost", "certificate",
                             [](UpstreamTls* o) { o->verify_certificate = false; });  // tlsAllowInvalidCertificates
}

TEST(TlsContextTest, APlaintextClientAndASilentOneFailTheHandshakeAndNothingElse) {
  CertificateFile cert;
  auto server = TlsContext::ForServer(cert.path());
  ASSERT_TRUE(server.ok());
  {
    Pair p = SocketPair();
    const char hello[] = "\x3a\x00\x00\x00 not a TLS record at all";
    ASSERT_GT(::write(p.client.get(), hello, sizeof hello - 1), 0);
    StatusOr<Stream> s = (*server)->Accept(std::move(p.server), 5000);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find("TLS handshake with a client failed"), std::string::npos);
  }
  Pair p = SocketPair();  // connects, never speaks
  StatusOr<Stream> s = (*server)->Accept(std::move(p.server), 200);
  EXPECT_FALSE(s.ok());
}

TEST(TlsContextTest, AFileWithoutAKeyOrWithoutACertificateIsNamed) {
  EXPECT_NE(TlsContext::ForServer("/nonexistent.pem").status().message().find("/nonexistent.pem: no PEM certificate"),
            std::string::npos);
  CertificateFile cert;
  // The certificate alone: cut the file before its key.
  FILE* f = std::fopen(cert.path().c_str(), "r");
  std::string text(1 << 16, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), f));
  std::fclose(f);
  const std::string only_cert = text.substr(0, text.find("-----BEGIN PRIVATE KEY-----"));
  f = std::fopen(cert.path().c_str(), "w");
  std::fwrite(only_cert.data(), 1, only_cert.size(), f);
  std::fclose(f);
  auto s = TlsContext::ForServer(cert.path());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("no PEM private key"), std::string::npos) << s.status().ToString();
}

}  // namespace
}  // namespace aviary::gateway
