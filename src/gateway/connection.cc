#include "gateway/connection.h"

#include <spdlog/spdlog.h>

#include "client/coordinator_client.h"
#include "common/host_port.h"
#include "gateway/access.h"
#include "mapreduce/reply.h"
#include "mapreduce/runner.h"

namespace aviary::gateway {

namespace {

constexpr int kProtocolErrorCode = 17;  // MongoDB's ProtocolError

bool IsMapReduce(const std::string& name) { return name == "mapReduce" || name == "mapreduce"; }

constexpr int kClientHandshakeMs = 10'000;

}  // namespace

bool Connection::Open() {
  if (tls_.clients != nullptr) {
    StatusOr<Stream> client = tls_.clients->Accept(std::move(accepted_), kClientHandshakeMs);
    if (!client.ok()) {
      spdlog::warn("gateway: closing a client: {}", client.status().message());
      return false;
    }
    client_ = std::move(*client);
  } else {
    client_ = Stream(std::move(accepted_));
  }
  StatusOr<Stream> upstream = ConnectUpstream();
  if (!upstream.ok()) {
    spdlog::warn("gateway: closing a client: {}", upstream.status().message());
    return false;
  }
  upstream_ = std::move(*upstream);
  return true;
}

StatusOr<Stream> Connection::ConnectUpstream() const {
  ASSIGN_OR_RETURN(Fd socket, Connect(upstream_host_));
  if (tls_.upstream == nullptr) return Stream(std::move(socket));
  return tls_.upstream->Connect(std::move(socket), HostOf(upstream_host_));
}

void Connection::Run() {
  if (!Open()) return;
  Header header;
  std::string frame;
  while (true) {
    Status s = ReadFrame(client_, &header, &frame);
    if (s.code() == StatusCode::kNotFound) return;  // the client hung up between frames
    if (s.code() == StatusCode::kInvalidArgument) return ProtocolError(header, s.message());
    if (!s.ok()) return;
    if (!ServeOne(header, frame)) return;
  }
}

bool Connection::ServeOne(const Header& header, std::string& frame) {
  Command command;
  if (std::string why = ParseCommand(frame, &command); !why.empty()) {
    ProtocolError(header, why);
    return false;
  }
  if (header.op_code == kOpQuery && !IsHandshake(command.name)) {
    ProtocolError(header, "OP_QUERY is only served for the handshake (hello, isMaster), not '" + command.name + "'");
    return false;
  }
  if (header.op_code == kOpMsg && IsMapReduce(command.name)) return MapReduce(header, command);
  if (bool ok = true; Route(header, frame, command, &ok)) return ok;
  return Relay(header, frame, command);
}

bool Connection::Route(const Header& header, const std::string& frame, const Command& command, bool* ok) {
  if (router_ == nullptr || header.op_code != kOpMsg) return false;
  bson_t reply = BSON_INITIALIZER;
  const bool routed = router_->Serve(command, frame, &reply);
  if (routed && !(command.flags & kMoreToCome)) {
    *ok = client_.WriteAll(MsgReply(next_request_id_++, header.request_id, &reply)).ok();
  }
  bson_destroy(&reply);
  return routed;
}

bool Connection::Relay(const Header& header, const std::string& frame, const Command& command) {
  if (!upstream_.WriteAll(frame).ok()) return false;
  // moreToCome on a request: the client expects no reply (an unacknowledged write).
  if (header.op_code == kOpMsg && (command.flags & kMoreToCome)) return true;
  return RelayReplies(IsHandshake(command.name));
}

bool Connection::RelayReplies(bool handshake) {
  Header reply_header;
  std::string reply;
  do {  // an exhaust cursor's replies carry moreToCome until the last one
    if (!ReadFrame(upstream_, &reply_header, &reply, /*reply=*/true).ok()) return false;
    if (reply_header.op_code != kOpMsg && reply_header.op_code != kOpReply) return false;
    const Status s = client_.WriteAll(handshake ? WithoutCompression(reply) : reply);
    if (!s.ok()) return false;
  } while (reply_header.op_code == kOpMsg && reply.size() >= kHeaderBytes + 4 &&
           (static_cast<uint8_t>(reply[kHeaderBytes]) & kMoreToCome));
  return true;
}

bool Connection::MapReduce(const Header& header, const Command& command) {
  mapreduce::Request request;
  mapreduce::Error error;
  bson_t reply = BSON_INITIALIZER;
  bool ok = mapreduce::ParseCommand(&command.body, mapreduce::Target{options_.upstream, command.db}, &request, &error) &&
            Authorize(request, &error);
  if (ok) {
    spdlog::info("gateway: mapReduce {}.{} -> {}", request.in_db, request.in_coll, request.job.output);
    client::CoordinatorClient coordinator(options_.coordinator);
    ok = mapreduce::Run(coordinator, request, &reply, &error);
  }
  if (!ok) {
    bson_reinit(&reply);
    mapreduce::BuildErrorReply(error, &reply);
  }
  const std::string frame = MsgReply(next_request_id_++, header.request_id, &reply);
  bson_destroy(&reply);
  return client_.WriteAll(frame).ok();
}

bool Connection::Authorize(const mapreduce::Request& request, mapreduce::Error* error) {
  if (!options_.require_auth) return true;
  bson_t* ask = BCON_NEW("connectionStatus", BCON_INT32(1), "showPrivileges", BCON_BOOL(true), "$db", "admin");
  const int32_t id = next_request_id_++;
  const std::string frame = MsgRequest(id, ask);
  bson_destroy(ask);
  Header h;
  std::string reply;
  bson_t doc;
  if (!upstream_.WriteAll(frame).ok() || !ReadFrame(upstream_, &h, &reply, /*reply=*/true).ok() || h.response_to != id ||
      !ReplyDocument(reply, &doc)) {
    *error = {6, "HostUnreachable", "cannot ask the upstream for this connection's privileges"};
    return false;
  }
  Access access;
  std::string why;
  if (!ParseConnectionStatus(&doc, &access, &why) || !MayRun(access, request, &why)) {
    *error = mapreduce::Unauthorized(why);
    return false;
  }
  return true;
}

bool Connection::ReplyError(const Header& header, int code, const std::string& code_name, const std::string& message) {
  bson_t* doc = BCON_NEW("ok", BCON_DOUBLE(0), "errmsg", message.c_str(), "code", BCON_INT32(code), "codeName",
                         code_name.c_str());
  const std::string frame = header.op_code == kOpQuery ? LegacyReply(next_request_id_++, header.request_id, doc)
                                                       : MsgReply(next_request_id_++, header.request_id, doc);
  bson_destroy(doc);
  return client_.WriteAll(frame).ok();
}

void Connection::ProtocolError(const Header& header, const std::string& why) {
  spdlog::warn("gateway: protocol error, closing the connection: {}", why);
  if (!ReplyError(header, kProtocolErrorCode, "ProtocolError", "protocol error: " + why)) return;
  // Closing with the client's bytes unread would reset the connection and could discard the
  // error before the client reads it: end our side, then discard a little of what is in flight.
  client_.DrainAndClose();
}

}  // namespace aviary::gateway
