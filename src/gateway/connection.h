// One client connection of the gateway and its pinned upstream connection.
#ifndef AVIARY_GATEWAY_CONNECTION_H_
#define AVIARY_GATEWAY_CONNECTION_H_

#include <string>

#include "gateway/gateway.h"
#include "gateway/wire.h"
#include "mapreduce/command.h"

namespace aviary::gateway {

// Serves `client` until it closes or breaks the protocol. Thread-compatible: one thread runs it.
class Connection {
 public:
  // `router`: null, or the local cluster's router (router/router.h), which outlives this.
  Connection(const Options& options, const std::string& upstream_host, const TlsSides& tls, Fd client,
             router::Router* router = nullptr)
      : options_(options), upstream_host_(upstream_host), tls_(tls), accepted_(std::move(client)), router_(router) {}

  void Run();

 private:
  // The client's stream (TLS handshake done, if TLS) and the upstream's; false if either fails.
  bool Open();
  StatusOr<Stream> ConnectUpstream() const;
  // False when the connection must close.
  bool ServeOne(const Header& header, std::string& frame);
  bool Relay(const Header& header, const std::string& frame, const Command& command);
  // Whether the router answered the command (then the reply is written).
  bool Route(const Header& header, const std::string& frame, const Command& command, bool* ok);
  bool RelayReplies(bool handshake);
  bool MapReduce(const Header& header, const Command& command);
  // Asks the upstream, on this connection, whether its user may run `request`.
  bool Authorize(const mapreduce::Request& request, mapreduce::Error* error);
  bool ReplyError(const Header& header, int code, const std::string& code_name, const std::string& message);
  void ProtocolError(const Header& header, const std::string& why);

  const Options& options_;
  const std::string& upstream_host_;
  const TlsSides& tls_;
  Fd accepted_;  // until Open() makes client_ of it
  Stream client_;
  Stream upstream_;
  router::Router* router_;  // not owned; may be null
  int32_t next_request_id_ = 1 << 30;  // ids of the gateway's own frames, apart from the client's
};

}  // namespace aviary::gateway

#endif  // AVIARY_GATEWAY_CONNECTION_H_
