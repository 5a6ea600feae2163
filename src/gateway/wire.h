// The MongoDB wire protocol as the gateway needs it: the 16-byte header, OP_MSG (parsed only as
// far as its command document), the legacy OP_QUERY handshake and OP_REPLY, and the replies the
// gateway writes itself. All integers are little-endian.
#ifndef AVIARY_GATEWAY_WIRE_H_
#define AVIARY_GATEWAY_WIRE_H_

#include <bson/bson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aviary::gateway {

inline constexpr int32_t kOpReply = 1;
inline constexpr int32_t kOpQuery = 2004;
inline constexpr int32_t kOpCompressed = 2012;
inline constexpr int32_t kOpMsg = 2013;

inline constexpr size_t kHeaderBytes = 16;
// What servers advertise as maxMessageSizeBytes; a larger frame is a protocol error.
inline constexpr int32_t kMaxMessageBytes = 48'000'000;

inline constexpr uint32_t kChecksumPresent = 1u << 0;
inline constexpr uint32_t kMoreToCome = 1u << 1;
inline constexpr uint32_t kExhaustAllowed = 1u << 16;

struct Header {
  int32_t length = 0;
  int32_t request_id = 0;
  int32_t response_to = 0;
  int32_t op_code = 0;
};

Header ParseHeader(const uint8_t* bytes);
void AppendHeader(const Header& h, std::string* out);

// Why a header cannot start a frame the gateway accepts ("" if it can): a length outside
// [header + 5, kMaxMessageBytes], or an opcode other than OP_MSG and OP_QUERY (OP_COMPRESSED
// included: the gateway never offers compression). From a server (`reply`): OP_MSG and
// OP_REPLY.
std::string CheckHeader(const Header& h, bool reply = false);

// A request frame's command, peeked at without copying.
struct Command {
  uint32_t flags = 0;     // OP_MSG flagBits (0 for OP_QUERY)
  bson_t body;            // the kind-0 document (OP_MSG) or the query (OP_QUERY); static, borrows the frame
  std::string name;       // its first key: "find", "hello", "mapReduce", ...
  std::string db;         // OP_MSG: $db; OP_QUERY: the database of "db.$cmd"
};

// Parses a whole frame (header included). On a malformed frame returns why; "" on success.
// OP_MSG: flags (unknown required bits 2..15 refused), sections of kind 0 (exactly one) and 1,
// an optional trailing checksum; every document's length checked. OP_QUERY: only a command on
// a "$cmd" collection.
std::string ParseCommand(std::string_view frame, Command* command);

// The documents of the kind-1 section named `identifier` ("documents", "updates", "deletes")
// of an OP_MSG frame that ParseCommand accepted, appended to `docs` (views into the frame).
void SequenceDocuments(std::string_view frame, std::string_view identifier, std::vector<std::string_view>* docs);

// Whether an OP_QUERY command may be served: only the handshake (hello, isMaster).
bool IsHandshake(std::string_view name);

// An OP_MSG reply to `request_id` holding `doc`.
std::string MsgReply(int32_t request_id, int32_t response_to, const bson_t* doc);
// A legacy OP_REPLY to `response_to` holding `doc`.
std::string LegacyReply(int32_t request_id, int32_t response_to, const bson_t* doc);
// An OP_MSG request (flags 0, one kind-0 document).
std::string MsgRequest(int32_t request_id, const bson_t* doc);

// The reply document of a whole OP_MSG or OP_REPLY frame (static, borrows the frame); false if
// the frame holds none.
bool ReplyDocument(std::string_view frame, bson_t* doc);
// `frame` (a handshake reply, OP_MSG or OP_REPLY) rewritten without the `compression` field,
// so that clients never compress; unchanged if it has none.
std::string WithoutCompression(std::string_view frame);

}  // namespace aviary::gateway

#endif  // AVIARY_GATEWAY_WIRE_H_
