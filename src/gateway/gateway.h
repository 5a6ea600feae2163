// `aviary gateway`: a MongoDB wire-protocol server in front of an upstream mongod/mongos.
// Every command except mapReduce is relayed byte for byte on an upstream connection pinned to
// the client's connection (so handshakes, SCRAM, cursors, sessions and errors are the
// upstream's own); mapReduce runs as an Aviary job (mapreduce/) and is answered as MongoDB
// would. See docs/gateway.md.
//
// Concurrency: one thread per client connection, at most `max_connections` at once (a
// connection beyond that is closed at once): a connection is either waiting on its client,
// relaying one request, or running one mapReduce, and drivers pool their connections.
#ifndef AVIARY_GATEWAY_GATEWAY_H_
#define AVIARY_GATEWAY_GATEWAY_H_

#include <atomic>
#include <memory>
#include <string>

#include "common/status.h"
#include "gateway/router/router.h"
#include "gateway/socket.h"
#include "gateway/tls.h"

namespace aviary::gateway {

struct Options {
  std::string listen = "127.0.0.1:27018";
  std::string upstream;     // mongodb://HOST:PORT/...; jobs read and write through this URI too
  std::string coordinator;  // HOST:PORT[,HOST:PORT...]
  int max_connections = 512;
  // mapReduce only for authenticated users with the rights it needs. Default: on when the
  // upstream URI carries credentials (the upstream then requires authentication).
  bool require_auth = false;
  // The local cluster only: mongodb://HOST:PORT/ of its config server, whose chunk table routes
  // CRUD on sharded collections to the shards (router/router.h). Empty: relay everything.
  std::string route_by_chunks;
  // PEM with the certificate and its key: clients must speak TLS (tls.h). Empty: plain TCP.
  std::string tls_certificate_key_file;
};

// The TLS contexts of both sides (tls.h); null where that side is plain TCP.
struct TlsSides {
  std::shared_ptr<const TlsContext> clients;
  std::shared_ptr<const TlsContext> upstream;
};

class Gateway {
 public:
  // Binds the listening socket.
  static StatusOr<std::unique_ptr<Gateway>> Start(const Options& options);
  ~Gateway();

  int port() const { return port_; }
  // Accepts connections until Stop(); each runs on its own (detached) thread.
  void Serve();
  // Makes Serve() return; open connections finish on their own.
  void Stop();

 private:
  Gateway(Options options, std::string upstream_host, TlsSides tls, Fd listener, int port,
          std::unique_ptr<router::Router> router);

  // State the connection threads share; it outlives the Gateway while any connection runs.
  struct Shared {
    Options options;
    std::string upstream_host;
    TlsSides tls;
    std::unique_ptr<router::Router> router;  // with route_by_chunks only
    std::atomic<int> connections{0};
  };

  std::shared_ptr<Shared> shared_;
  Fd listener_;
  int port_;
  std::atomic<bool> stopping_{false};
};

// Whether the URI names a user (mongodb://user:pass@...).
bool UriHasCredentials(const std::string& uri);

}  // namespace aviary::gateway

#endif  // AVIARY_GATEWAY_GATEWAY_H_
