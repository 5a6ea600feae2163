#include "gateway/router/shard_clients.h"

namespace aviary::gateway::router {
namespace {

constexpr size_t kMaxIdlePerServer = 16;
constexpr int kConnectMs = 5000;

}  // namespace

PooledClient::~PooledClient() {
  if (client_ != nullptr) owner_->Give(uri_, std::move(client_));
}

StatusOr<PooledClient> ShardClients::Get(const std::string& uri) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::unique_ptr<mongo::Client>>& idle = idle_[uri];
    if (!idle.empty()) {
      std::unique_ptr<mongo::Client> c = std::move(idle.back());
      idle.pop_back();
      return PooledClient(this, uri, std::move(c));
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<mongo::Client> c, mongo::Client::Connect(uri, kConnectMs));
  return PooledClient(this, uri, std::move(c));
}

void ShardClients::Give(const std::string& uri, std::unique_ptr<mongo::Client> client) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::unique_ptr<mongo::Client>>& idle = idle_[uri];
  if (idle.size() < kMaxIdlePerServer) idle.push_back(std::move(client));
}

}  // namespace aviary::gateway::router
