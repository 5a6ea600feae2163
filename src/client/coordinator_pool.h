// The coordinators of one cluster as a client sees them: an address list "A,B,..." (one active
// coordinator, the others standbys), one stub each, and which one answered last. Every client of
// the coordinator protocol (the CLI, the dev cluster, the worker daemon) fails over through this.
//
// Thread safety: one thread at a time.
#ifndef AVIARY_CLIENT_COORDINATOR_POOL_H_
#define AVIARY_CLIENT_COORDINATOR_POOL_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "rpc/aviary.grpc.pb.h"
#include "rpc/channel_factory.h"
#include "rpc/grpc_util.h"

namespace aviary::client {

// The non-empty entries of a comma-separated address list, in order.
std::vector<std::string> ParseAddressList(const std::string& addresses);

// True for the failures that mean "try another coordinator": a standby answers UNAVAILABLE, an
// unreachable one fails with UNAVAILABLE or DEADLINE_EXCEEDED.
bool IsFailoverError(const Status& status);

// A coordinator call's outcome as a Status that always says what went wrong and where: a server
// that does not know the call (UNIMPLEMENTED: a worker's shuffle port, another gRPC service) is
// "ADDRESS is not an Aviary coordinator" (Unavailable, so a list moves on to its next address),
// and an answer without a message names its code and the address.
Status FromCoordinator(const grpc::Status& status, const std::string& address);

class CoordinatorPool {
 public:
  // A list without entries is taken as one address as written (whose calls then fail).
  // `channels` must outlive the pool.
  explicit CoordinatorPool(const std::string& addresses,
                           rpc::ChannelFactory* channels = rpc::ChannelFactory::Default());

  size_t size() const { return stubs_.size(); }
  // The coordinator that answered last (the first one at the start), and its address.
  rpc::Coordinator::Stub& current() { return *stubs_[current_]; }
  const std::string& current_address() const { return addresses_[current_]; }
  rpc::Coordinator::Stub& stub(size_t i) { return *stubs_[i]; }
  const std::string& address(size_t i) const { return addresses_[i]; }
  // Moves on to the next coordinator (after a failure or a stale answer).
  void Next() { current_ = (current_ + 1) % stubs_.size(); }

  // Runs `call(stub, context)` (returning grpc::Status) against the coordinators in turn, from
  // the current one on, until one answers with something other than a failover error; each
  // call gets the cluster credentials and `timeout`. Returns the last answer.
  template <typename Call>
  Status Invoke(std::chrono::milliseconds timeout, Call&& call) {
    Status last;
    for (size_t i = 0; i < stubs_.size(); ++i) {
      grpc::ClientContext context;
      rpc::PrepareContext(&context, timeout);
      last = FromCoordinator(call(current(), &context), current_address());
      if (!IsFailoverError(last)) return last;
      Next();
    }
    return last;
  }

 private:
  std::vector<std::string> addresses_;
  std::vector<std::unique_ptr<rpc::Coordinator::Stub>> stubs_;
  size_t current_ = 0;
};

}  // namespace aviary::client

#endif  // AVIARY_CLIENT_COORDINATOR_POOL_H_
