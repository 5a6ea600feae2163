// `aviary gateway`: serve the MongoDB wire protocol; mapReduce on Aviary, the rest relayed.
#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "common/listen_policy.h"
#include "gateway/gateway.h"

namespace aviary::cli {

namespace {

struct GatewayFlags {
  gateway::Options options;
  std::string auth = "auto";
  bool insecure = false;
};

int RunGateway(GatewayFlags f) {
  if (f.auth != "auto" && f.auth != "on" && f.auth != "off") return Fail(InvalidArgument("--auth must be auto, on or off"));
  f.options.require_auth = f.auth == "on" || (f.auth == "auto" && gateway::UriHasCredentials(f.options.upstream));
  // Without --auth, any client that connects may run mapReduce jobs on the cluster.
  const ListenSecurity security{"MongoDB-protocol gateway", f.options.require_auth ? "the upstream's users (--auth)" : "",
                                "Give --upstream credentials or --auth on"};
  if (Status s = CheckListen(f.options.listen, security, f.insecure); !s.ok()) return Fail(s);
  StatusOr<std::unique_ptr<gateway::Gateway>> gw = gateway::Gateway::Start(f.options);
  if (!gw.ok()) return Fail(gw.status());
  const std::string host = f.options.listen.substr(0, f.options.listen.rfind(':'));
  // One line on stdout that scripts wait for: where to connect.
  const bool tls = !f.options.tls_certificate_key_file.empty();
  spdlog::info("gateway listening on {}:{}{}{}", host, (*gw)->port(), tls ? " (TLS)" : "",
               f.options.route_by_chunks.empty() ? "" : ", routing by chunks");
  std::cout << "mongodb://" << host << ":" << (*gw)->port() << "/" << (tls ? "?tls=true" : "") << std::endl;
  (*gw)->Serve();
  return kExitOk;
}

}  // namespace

Adapter DefineGateway(CLI::App* cmd) {
  auto f = std::make_shared<GatewayFlags>();
  gateway::Options* o = &f->options;
  cmd->add_option("--listen", o->listen, "HOST:PORT to serve the MongoDB protocol on (port 0: any free port; PORT alone: on 127.0.0.1)")
      ->capture_default_str()
      ->transform([](std::string v) { return ListenOnLoopbackByDefault(v); });
  AddInsecureFlag(cmd, &f->insecure);
  cmd->add_option("--upstream", o->upstream, "mongodb://HOST:PORT/... of the mongos or mongod that gets every other command")
      ->required();
  AddCoordinatorOption(cmd, &o->coordinator, "coordinator HOST:PORT (or a comma-separated list) that runs mapReduce");
  cmd->add_option("--route-by-chunks", o->route_by_chunks,
                  "local cluster only: mongodb://HOST:PORT/ of its config server; CRUD on sharded collections is routed "
                  "to the shards by its chunk table, as mongos would");
  cmd->add_option("--tls-certificate-key-file", o->tls_certificate_key_file,
                  "PEM file with the certificate and its private key: clients must connect with TLS (tls=true)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--max-connections", o->max_connections, "client connections served at once")->capture_default_str();
  cmd->add_option("--auth", f->auth,
                  "check mapReduce rights with the upstream: on, off, or auto (on when --upstream has credentials)")
      ->capture_default_str();
  return [f](const GlobalFlags&) { return RunGateway(*f); };
}

}  // namespace aviary::cli
