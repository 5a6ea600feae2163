#include "rpc/auth.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <string>

#include "rpc/grpc_util.h"

namespace aviary::rpc {

Status CheckAuth(const grpc::ServerContext* context, const char* method) {
  const std::string& secret = GetTransportOptions().secret;
  if (secret.empty()) return Status::OK();
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("x-aviary-secret");
  // Constant-time comparison so response timing does not leak the secret.
  if (it != metadata.end() && it->second.size() == secret.size() &&
      CRYPTO_memcmp(it->second.data(), secret.data(), secret.size()) == 0) {
    return Status::OK();
  }
  spdlog::warn("refused unauthenticated {} call from {}", method, context->peer());
  return Unauthenticated("missing or wrong cluster secret");
}

}  // namespace aviary::rpc
