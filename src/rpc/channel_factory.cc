#include "rpc/channel_factory.h"

#include "rpc/grpc_util.h"

namespace aviary::rpc {
namespace {

class RealChannelFactory final : public ChannelFactory {
 public:
  using ChannelFactory::NewChannel;
  std::shared_ptr<grpc::Channel> NewChannel(const std::string& address, const ChannelOptions& options) override {
    return MakeChannel(address, options.window_bytes);
  }
};

}  // namespace

ChannelFactory* ChannelFactory::Default() {
  static ChannelFactory* factory = new RealChannelFactory();
  return factory;
}

}  // namespace aviary::rpc
