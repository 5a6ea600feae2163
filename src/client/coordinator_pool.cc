#include "client/coordinator_pool.h"

namespace aviary::client {

std::vector<std::string> ParseAddressList(const std::string& addresses) {
  std::vector<std::string> out;
  for (size_t start = 0; start <= addresses.size();) {
    size_t comma = addresses.find(',', start);
    if (comma == std::string::npos) comma = addresses.size();
    if (comma > start) out.push_back(addresses.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

bool IsFailoverError(const Status& status) {
  return status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kDeadlineExceeded;
}

Status FromCoordinator(const grpc::Status& status, const std::string& address) {
  Status s = rpc::FromGrpc(status, "coordinator " + address);
  if (s.ok()) return s;
  const std::string detail = StatusCodeName(s.code()) + std::string(s.message().empty() ? "" : ": " + s.message());
  if (s.code() == StatusCode::kUnimplemented) {
    return Unavailable(address + " is not an Aviary coordinator (" + detail + ")");
  }
  if (s.message().empty()) return Status(s.code(), "coordinator " + address + " answered " + detail + " without a message");
  return s;
}

CoordinatorPool::CoordinatorPool(const std::string& addresses, rpc::ChannelFactory* channels)
    : addresses_(ParseAddressList(addresses)) {
  if (addresses_.empty()) addresses_.push_back(addresses);
  for (const std::string& a : addresses_) stubs_.push_back(rpc::Coordinator::NewStub(channels->NewChannel(a)));
}

}  // namespace aviary::client
