#include "rpc/grpc_util.h"

#include <openssl/crypto.h>

#include <string>

#include "rpc/aviary.pb.h"

namespace aviary::rpc {
namespace {

TransportOptions& MutableOptions() {
  static TransportOptions* options = new TransportOptions();
  return *options;
}

void Cleanse(std::string& s) {
  OPENSSL_cleanse(s.data(), s.size());
  s.clear();
  s.shrink_to_fit();
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials() {
  const TransportOptions& o = GetTransportOptions();
  if (!o.tls()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = o.tls_ca;  // empty: the system's roots
  ssl.pem_private_key = o.tls_key;
  ssl.pem_cert_chain = o.tls_cert;
  return grpc::SslCredentials(ssl);
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentials() {
  const TransportOptions& o = GetTransportOptions();
  if (o.tls_cert.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl(o.tls_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                                         : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = o.tls_ca;
  ssl.pem_key_cert_pairs.push_back({o.tls_key, o.tls_cert});
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

grpc::Status ToGrpc(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), status.message());
}

Status FromGrpc(const grpc::Status& status, const std::string& peer) {
  if (status.ok()) return Status::OK();
  std::string message = status.error_message();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE || status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    message = "cannot reach " + peer + ": " + message;
    // gRPC says only "Socket closed" when a TLS handshake fails.
    if (GetTransportOptions().tls() && status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      message += " (TLS is on: a handshake fails when a certificate is not signed by the CA the other side trusts, "
                 "or does not name the address dialled)";
    }
  }
  return Status(static_cast<StatusCode>(status.error_code()), message);
}

void SetTransportOptions(const TransportOptions& options) { MutableOptions() = options; }
const TransportOptions& GetTransportOptions() { return MutableOptions(); }

void ForgetSecret() {
  Cleanse(MutableOptions().secret);
  Cleanse(MutableOptions().tls_key);
}

std::string EncodeTransportSecrets(const TransportOptions& options) {
  TransportSecrets secrets;
  secrets.set_secret(options.secret);
  secrets.set_tls_cert(options.tls_cert);
  secrets.set_tls_key(options.tls_key);
  secrets.set_tls_ca(options.tls_ca);
  std::string bytes = secrets.SerializeAsString();
  Cleanse(*secrets.mutable_secret());
  Cleanse(*secrets.mutable_tls_key());
  return bytes;
}

bool DecodeTransportSecrets(const std::string& bytes, TransportOptions* options) {
  TransportSecrets secrets;
  if (!secrets.ParseFromString(bytes)) return false;
  options->secret = secrets.secret();
  options->tls_cert = secrets.tls_cert();
  options->tls_key = secrets.tls_key();
  options->tls_ca = secrets.tls_ca();
  Cleanse(*secrets.mutable_secret());
  Cleanse(*secrets.mutable_tls_key());
  return true;
}

Status CheckTls(const TransportOptions& options) {
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return InvalidArgument(options.tls_cert.empty() ? "--tls-key needs --tls-cert (the certificate of that key)"
                                                    : "--tls-cert needs --tls-key (the certificate's private key)");
  }
  auto looks_pem = [](const std::string& pem, const char* what) -> Status {
    if (pem.empty() || pem.find("-----BEGIN ") != std::string::npos) return Status::OK();
    return InvalidArgument(std::string(what) + " holds no PEM block (-----BEGIN ...)");
  };
  RETURN_IF_ERROR(looks_pem(options.tls_cert, "--tls-cert"));
  RETURN_IF_ERROR(looks_pem(options.tls_key, "--tls-key"));
  return looks_pem(options.tls_ca, "--tls-ca");
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, int window_bytes) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // Fail fast on a dead peer instead of waiting for TCP timeouts.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // The minimum connect timeout: a connection to a host that vanished (packets dropped, nothing
  // refused) gives up after 2 s instead of gRPC's default 20 s, so a reducer fetching from it
  // reports the map output lost in seconds.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 2000);
  if (window_bytes > 0) {
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, window_bytes);
  }
  return grpc::CreateCustomChannel(address, ChannelCredentials(), args);
}

void PrepareContext(grpc::ClientContext* context, std::chrono::milliseconds timeout) {
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  const std::string& secret = GetTransportOptions().secret;
  if (!secret.empty()) context->AddMetadata("x-aviary-secret", secret);
}

void ConfigureServer(grpc::ServerBuilder* builder, const std::string& listen, int* selected_port) {
  builder->AddListeningPort(listen, ServerCredentials(), selected_port);
  builder->SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder->SetMaxSendMessageSize(kMaxMessageBytes);
}

}  // namespace aviary::rpc
