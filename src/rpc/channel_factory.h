// ChannelFactory: how a client reaches an address. Every gRPC stub in Aviary gets its channel
// from one, so that tests can hand out channels to in-process servers (a fake network) while
// production uses MakeChannel's transport settings.
//
// Thread safety: implementations are safe for concurrent use.
#ifndef AVIARY_RPC_CHANNEL_FACTORY_H_
#define AVIARY_RPC_CHANNEL_FACTORY_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace aviary::rpc {

struct ChannelOptions {
  // > 0: fixes each stream's receive window at that size (see MakeChannel).
  int window_bytes = 0;
};

class ChannelFactory {
 public:
  virtual ~ChannelFactory() = default;
  // The process-wide factory of real channels (MakeChannel). Never deleted.
  static ChannelFactory* Default();

  // A channel to `address` ("HOST:PORT"). Never null; an unreachable address fails its calls
  // with UNAVAILABLE.
  virtual std::shared_ptr<grpc::Channel> NewChannel(const std::string& address, const ChannelOptions& options) = 0;
  std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) { return NewChannel(address, ChannelOptions()); }
};

}  // namespace aviary::rpc

#endif  // AVIARY_RPC_CHANNEL_FACTORY_H_
