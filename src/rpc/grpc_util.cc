#include "rpc/grpc_util.h"

#include <openssl/crypto.h>

#include <string>

namespace aviary::rpc {
namespace {

TransportOptions& MutableOptions() {
  static TransportOptions* options = new TransportOptions();
  return *options;
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
  }
  return Status(static_cast<StatusCode>(status.error_code()), message);
}

void SetTransportOptions(const TransportOptions& options) { MutableOptions() = options; }
const TransportOptions& GetTransportOptions() { return MutableOptions(); }

void ForgetSecret() {
  std::string& secret = MutableOptions().secret;
  OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
  secret.shrink_to_fit();
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
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

void PrepareContext(grpc::ClientContext* context, std::chrono::milliseconds timeout) {
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  const std::string& secret = GetTransportOptions().secret;
  if (!secret.empty()) context->AddMetadata("x-aviary-secret", secret);
}

void ConfigureServer(grpc::ServerBuilder* builder, const std::string& listen, int* selected_port) {
  builder->AddListeningPort(listen, grpc::InsecureServerCredentials(), selected_port);
  builder->SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder->SetMaxSendMessageSize(kMaxMessageBytes);
}

}  // namespace aviary::rpc
