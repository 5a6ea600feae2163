#include "gateway/gateway.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <csignal>
#include <cerrno>
#include <cstring>
#include <thread>

#include "gateway/connection.h"

namespace aviary::gateway {

bool UriHasCredentials(const std::string& uri) {
  const size_t hosts = uri.find("://");
  if (hosts == std::string::npos) return false;
  const size_t end = uri.find_first_of("/?", hosts + 3);
  return uri.substr(hosts + 3, end == std::string::npos ? std::string::npos : end - hosts - 3).find('@') !=
         std::string::npos;
}

StatusOr<std::unique_ptr<Gateway>> Gateway::Start(const Options& options) {
  if (options.coordinator.empty()) return InvalidArgument("--coordinator is required");
  StatusOr<std::string> host = FirstHost(options.upstream);
  if (!host.ok()) return host.status();
  TlsSides tls;
  if (!options.tls_certificate_key_file.empty()) {
    ASSIGN_OR_RETURN(tls.clients, TlsContext::ForServer(options.tls_certificate_key_file));
  }
  ASSIGN_OR_RETURN(UpstreamTls upstream_tls, ParseUpstreamTls(options.upstream));
  if (upstream_tls.enabled) {
    ASSIGN_OR_RETURN(tls.upstream, TlsContext::ForUpstream(upstream_tls));
  }
  std::unique_ptr<router::Router> router;
  if (!options.route_by_chunks.empty()) {
    StatusOr<std::unique_ptr<router::Router>> r = router::Router::Create(options.route_by_chunks);
    if (!r.ok()) return r.status().WithContext("--route-by-chunks");
    router = std::move(*r);
  }
  int port = 0;
  StatusOr<Fd> listener = Listen(options.listen, &port);
  if (!listener.ok()) return listener.status();
  // A client or upstream that hangs up under a TLS write must not kill the gateway (plain
  // sockets are written with MSG_NOSIGNAL; OpenSSL's writes cannot say so).
  ::signal(SIGPIPE, SIG_IGN);
  return std::unique_ptr<Gateway>(
      new Gateway(options, *host, std::move(tls), std::move(*listener), port, std::move(router)));
}

Gateway::Gateway(Options options, std::string upstream_host, TlsSides tls, Fd listener, int port,
                 std::unique_ptr<router::Router> router)
    : shared_(std::make_shared<Shared>()), listener_(std::move(listener)), port_(port) {
  shared_->router = std::move(router);
  shared_->tls = std::move(tls);
  shared_->options = std::move(options);
  shared_->upstream_host = std::move(upstream_host);
}

Gateway::~Gateway() { Stop(); }

void Gateway::Serve() {
  while (!stopping_.load()) {
    const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) continue;
      if (!stopping_.load()) spdlog::error("gateway: accept failed: {}", std::strerror(errno));
      return;
    }
    Fd client(fd);
    if (shared_->connections.load() >= shared_->options.max_connections) {
      spdlog::warn("gateway: {} connections open, refusing one more", shared_->options.max_connections);
      continue;  // closes it
    }
    SetNoDelay(client.get());
    ++shared_->connections;
    std::thread([shared = shared_, c = std::move(client)]() mutable {
      Connection(shared->options, shared->upstream_host, shared->tls, std::move(c), shared->router.get()).Run();
      --shared->connections;
    }).detach();
  }
}

void Gateway::Stop() {
  if (stopping_.exchange(true)) return;
  ::shutdown(listener_.get(), SHUT_RDWR);
}

}  // namespace aviary::gateway
