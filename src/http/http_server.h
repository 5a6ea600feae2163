// The HTTP front of a daemon: the coordinator's web UI and JSON API (docs/web-ui.md) and
// /metrics, on cpp-httplib. It only renders what a StatusSource or a metrics function gives; no
// coordinator or worker logic lives here.
//
// Thread safety: Start/Stop from one thread; requests are served on httplib's threads.
#ifndef AVIARY_HTTP_HTTP_SERVER_H_
#define AVIARY_HTTP_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/status.h"
#include "http/status_source.h"

namespace httplib {
class Server;
}

namespace aviary::http {

struct HttpOptions {
  std::string listen = "127.0.0.1:0";  // HOST:PORT; port 0 picks a free one
  std::string secret;                  // the cluster secret; POSTs need "Authorization: Bearer SECRET"
  // PEM text of the daemon's certificate (then its chain) and key: with both, HTTPS only (https.h).
  std::string tls_cert;
  std::string tls_key;
};

// The options for serving on `listen` with this process's transport settings (rpc/grpc_util.h):
// HTTPS with its TLS certificate when it has one, and the cluster secret when `with_secret`.
HttpOptions DaemonHttpOptions(const std::string& listen, bool with_secret);

class HttpServer {
 public:
  // The coordinator's UI, API and metrics from `source` (borrowed; must outlive the server).
  static std::unique_ptr<HttpServer> ForCoordinator(StatusSource* source, HttpOptions options);
  // Only /metrics, whose text `metrics` returns at each scrape (a worker).
  static std::unique_ptr<HttpServer> ForMetrics(std::function<std::string()> metrics, HttpOptions options);
  ~HttpServer();

  // Binds and starts serving on a thread of its own.
  Status Start();
  void Stop();
  // "http://HOST:PORT", or https://. REQUIRES: Start() succeeded.
  const std::string& url() const { return url_; }

 private:
  explicit HttpServer(HttpOptions options);
  void AddCoordinatorRoutes(StatusSource* source);

  const HttpOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::string tls_error_;  // why the TLS context could not be made; Start reports it
  std::thread thread_;
  std::string url_;
};

}  // namespace aviary::http

#endif  // AVIARY_HTTP_HTTP_SERVER_H_
