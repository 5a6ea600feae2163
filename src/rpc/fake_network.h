// A fake network for tests: a ChannelFactory whose channels lead to in-process gRPC servers
// registered by address. An address nobody registered is unreachable (its calls fail with
// UNAVAILABLE at once), as a host that refuses connections.
//
// Thread safety: Serve() before use; NewChannel() from any thread.
#ifndef AVIARY_RPC_FAKE_NETWORK_H_
#define AVIARY_RPC_FAKE_NETWORK_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>

#include "rpc/channel_factory.h"

namespace aviary::rpc {

class FakeNetwork final : public ChannelFactory {
 public:
  ~FakeNetwork() override {
    for (auto& [address, server] : servers_) server->Shutdown();
  }

  // Serves `service` (not owned; must outlive the network) at `address`.
  void Serve(const std::string& address, grpc::Service* service) {
    grpc::ServerBuilder builder;
    builder.RegisterService(service);
    servers_[address] = builder.BuildAndStart();
  }

  using ChannelFactory::NewChannel;
  std::shared_ptr<grpc::Channel> NewChannel(const std::string& address, const ChannelOptions&) override {
    auto it = servers_.find(address);
    if (it != servers_.end()) return it->second->InProcessChannel(grpc::ChannelArguments());
    // A socket path that cannot exist: connecting fails at once.
    return grpc::CreateChannel("unix:/nonexistent/aviary-fake-network/" + address, grpc::InsecureChannelCredentials());
  }

 private:
  std::map<std::string, std::unique_ptr<grpc::Server>> servers_;
};

}  // namespace aviary::rpc

#endif  // AVIARY_RPC_FAKE_NETWORK_H_
