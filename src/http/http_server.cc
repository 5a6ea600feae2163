#include "http/http_server.h"

#include <httplib.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "http/coordinator_metrics.h"
#include "http/https.h"
#include "http/pages.h"
#include "http/status_json.h"
#include "rpc/grpc_util.h"
#include "rpc/task_log_text.h"

namespace aviary::http {
namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kMetricsType = "text/plain; version=0.0.4; charset=utf-8";

int HttpCode(StatusCode code) {
  switch (code) {
    case StatusCode::kNotFound: return 404;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

void Error(httplib::Response& res, const Status& s) {
  res.status = HttpCode(s.code());
  res.set_content(Dump({{"error", s.message()}}), kJson);
}

// The secret in constant time; with no cluster secret nothing may be changed over HTTP.
Status Authorize(const httplib::Request& req, const std::string& secret) {
  if (secret.empty()) return PermissionDenied("this cluster has no secret; cancel with `aviary cancel`");
  const std::string header = req.get_header_value("Authorization");
  const std::string given = header.rfind("Bearer ", 0) == 0 ? header.substr(7) : req.get_param_value("secret");
  if (given.size() != secret.size() || CRYPTO_memcmp(given.data(), secret.data(), secret.size()) != 0) {
    return Unauthenticated("the cluster secret is required (Authorization: Bearer SECRET)");
  }
  return Status::OK();
}

}  // namespace

HttpOptions DaemonHttpOptions(const std::string& listen, bool with_secret) {
  const rpc::TransportOptions& transport = rpc::GetTransportOptions();
  HttpOptions options;
  options.listen = listen;
  if (with_secret) options.secret = transport.secret;
  options.tls_cert = transport.tls_cert;
  options.tls_key = transport.tls_key;
  return options;
}

HttpServer::HttpServer(HttpOptions options) : options_(std::move(options)) {
  if (options_.tls_cert.empty() && options_.tls_key.empty()) {
    server_ = std::make_unique<httplib::Server>();
    return;
  }
  server_ = std::make_unique<httplib::SSLServer>(
      [this](SSL_CTX& ctx) { return UseServerPem(ctx, options_.tls_cert, options_.tls_key, &tls_error_); });
}

HttpServer::~HttpServer() { Stop(); }

std::unique_ptr<HttpServer> HttpServer::ForCoordinator(StatusSource* source, HttpOptions options) {
  std::unique_ptr<HttpServer> s(new HttpServer(std::move(options)));
  s->AddCoordinatorRoutes(source);
  return s;
}

std::unique_ptr<HttpServer> HttpServer::ForMetrics(std::function<std::string()> metrics, HttpOptions options) {
  std::unique_ptr<HttpServer> s(new HttpServer(std::move(options)));
  s->server_->Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics(), kMetricsType);
  });
  return s;
}

void HttpServer::AddCoordinatorRoutes(StatusSource* source) {
  httplib::Server& s = *server_;
  auto page = [](const httplib::Request&, httplib::Response& res) { res.set_content(kPageHtml, "text/html; charset=utf-8"); };
  s.Get("/", page);
  s.Get("/workers", page);
  s.Get(R"(/jobs/([A-Za-z0-9_.-]+))", page);
  s.Get("/app.js", [](const httplib::Request&, httplib::Response& res) { res.set_content(kAppJs, "text/javascript"); });
  s.Get("/style.css", [](const httplib::Request&, httplib::Response& res) { res.set_content(kStyleCss, "text/css"); });
  s.Get("/api/jobs", [source](const httplib::Request& req, httplib::Response& res) {
    const std::string filter = req.get_param_value("state");
    if (!rpc::IsStateFilter(filter)) return Error(res, InvalidArgument("unknown state filter '" + filter + "'"));
    StatusOr<std::vector<rpc::JobStatus>> jobs = source->Jobs(false);
    if (!jobs.ok()) return Error(res, jobs.status());
    res.set_content(Dump(JobListJson(*jobs, filter, source->NowUnix())), kJson);
  });
  s.Get(R"(/api/jobs/([A-Za-z0-9_.-]+))", [source](const httplib::Request& req, httplib::Response& res) {
    StatusOr<rpc::JobStatus> job = source->Job(req.matches[1]);
    if (!job.ok()) return Error(res, job.status());
    res.set_content(Dump(JobDetailJson(*job, source->NowUnix())), kJson);
  });
  // Task logs as plain text (what `aviary logs JOB` prints), one section per attempt.
  s.Get(R"(/api/jobs/([A-Za-z0-9_.-]+)/logs)", [source](const httplib::Request& req, httplib::Response& res) {
    StatusOr<std::vector<rpc::TaskLog>> logs = source->TaskLogs(req.matches[1]);
    if (!logs.ok()) return Error(res, logs.status());
    res.set_content(rpc::TaskLogsText(*logs), "text/plain; charset=utf-8");
  });
  s.Post(R"(/api/jobs/([A-Za-z0-9_.-]+)/cancel)", [this, source](const httplib::Request& req, httplib::Response& res) {
    if (Status a = Authorize(req, options_.secret); !a.ok()) return Error(res, a);
    if (Status c = source->Cancel(req.matches[1]); !c.ok()) return Error(res, c);
    res.set_content(Dump({{"cancelled", std::string(req.matches[1])}}), kJson);
  });
  s.Get("/api/workers", [source](const httplib::Request&, httplib::Response& res) {
    StatusOr<rpc::ClusterStatusResponse> cluster = source->Workers();
    if (!cluster.ok()) return Error(res, cluster.status());
    StatusOr<std::vector<rpc::JobStatus>> jobs = source->Jobs(true);
    if (!jobs.ok()) return Error(res, jobs.status());
    res.set_content(Dump(WorkersJson(*cluster, *jobs, source->NowUnix())), kJson);
  });
  s.Get("/metrics", [source](const httplib::Request&, httplib::Response& res) {
    // A standby still answers: its leader gauge (0) is what an alert wants to see.
    StatusOr<rpc::ClusterStatusResponse> cluster = source->Workers();
    StatusOr<std::vector<rpc::JobStatus>> jobs = source->Jobs(true);
    res.set_content(CoordinatorMetrics(jobs.ok() ? *jobs : std::vector<rpc::JobStatus>{},
                                       cluster.ok() ? *cluster : rpc::ClusterStatusResponse{}, source->Leader(),
                                       source->NowUnix()),
                    kMetricsType);
  });
}

Status HttpServer::Start() {
  if (!server_->is_valid()) {
    return InvalidArgument("cannot serve HTTPS on " + options_.listen + ": " +
                           (tls_error_.empty() ? "no TLS context" : tls_error_));
  }
  const size_t colon = options_.listen.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("--http wants HOST:PORT, got '" + options_.listen + "'");
  const std::string host = options_.listen.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(options_.listen.substr(colon + 1));
  } catch (const std::exception&) {
    return InvalidArgument("--http wants HOST:PORT, got '" + options_.listen + "'");
  }
  const int bound = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) return Unavailable("cannot serve HTTP on " + options_.listen + " (address in use or invalid)");
  const bool tls = !options_.tls_cert.empty() || !options_.tls_key.empty();
  url_ = (tls ? "https://" : "http://") + host + ":" + std::to_string(bound);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() does nothing before the loop runs, so a Stop() right after Start() would
  // leave the thread serving forever: wait for the loop.
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return Status::OK();
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

}  // namespace aviary::http
