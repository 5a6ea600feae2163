#include "gateway/connection.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "client/coordinator_client.h"
#include "gateway/access.h"
#include "mapreduce/reply.h"
#include "mapreduce/runner.h"

namespace aviary::gateway {

namespace {

constexpr int kProtocolErrorCode = 17;  // MongoDB's ProtocolError

bool IsMapReduce(const std::string& name) { return name == "mapReduce" || name == "mapreduce"; }

// Bounded: at most 1 MiB or 200 ms of the client's leftover bytes are read and dropped.
void DrainAndClose(int fd) {
  ::shutdown(fd, SHUT_WR);
  timeval timeout{0, 200'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char buf[16384];
  for (size_t total = 0; total < (1u << 20);) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    total += static_cast<size_t>(n);
  }
}

}  // namespace

void Connection::Run() {
  StatusOr<Fd> upstream = Connect(upstream_host_);
  if (!upstream.ok()) {
    spdlog::warn("gateway: closing a client: {}", upstream.status().message());
    return;
  }
  upstream_ = std::move(*upstream);
  Header header;
  std::string frame;
  while (true) {
    Status s = ReadFrame(client_.get(), &header, &frame);
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
    *ok = WriteAll(client_.get(), MsgReply(next_request_id_++, header.request_id, &reply)).ok();
  }
  bson_destroy(&reply);
  return routed;
}

bool Connection::Relay(const Header& header, const std::string& frame, const Command& command) {
  if (!WriteAll(upstream_.get(), frame).ok()) return false;
  // moreToCome on a request: the client expects no reply (an unacknowledged write).
  if (header.op_code == kOpMsg && (command.flags & kMoreToCome)) return true;
  return RelayReplies(IsHandshake(command.name));
}

bool Connection::RelayReplies(bool handshake) {
  Header reply_header;
  std::string reply;
  do {  // an exhaust cursor's replies carry moreToCome until the last one
    if (!ReadFrame(upstream_.get(), &reply_header, &reply, /*reply=*/true).ok()) return false;
    if (reply_header.op_code != kOpMsg && reply_header.op_code != kOpReply) return false;
    const Status s = WriteAll(client_.get(), handshake ? WithoutCompression(reply) : reply);
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
  return WriteAll(client_.get(), frame).ok();
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
  if (!WriteAll(upstream_.get(), frame).ok() || !ReadFrame(upstream_.get(), &h, &reply, /*reply=*/true).ok() || h.response_to != id ||
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
  return WriteAll(client_.get(), frame).ok();
}

void Connection::ProtocolError(const Header& header, const std::string& why) {
  spdlog::warn("gateway: protocol error, closing the connection: {}", why);
  if (!ReplyError(header, kProtocolErrorCode, "ProtocolError", "protocol error: " + why)) return;
  // Closing with the client's bytes unread would reset the connection and could discard the
  // error before the client reads it: end our side, then discard a little of what is in flight.
  DrainAndClose(client_.get());
}

}  // namespace aviary::gateway
