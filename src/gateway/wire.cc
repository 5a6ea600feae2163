#include "gateway/wire.h"

#include <cstring>

namespace aviary::gateway {

namespace {

int32_t ReadInt32(const uint8_t* p) {
  return static_cast<int32_t>(static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                              static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24);
}

void AppendInt32(int32_t v, std::string* out) {
  const auto u = static_cast<uint32_t>(v);
  const char b[4] = {static_cast<char>(u), static_cast<char>(u >> 8), static_cast<char>(u >> 16), static_cast<char>(u >> 24)};
  out->append(b, 4);
}

void AppendDoc(const bson_t* doc, std::string* out) {
  out->append(reinterpret_cast<const char*>(bson_get_data(doc)), doc->len);
}

// Sets the frame's length field to its size.
std::string Finish(std::string frame) {
  const auto len = static_cast<uint32_t>(frame.size());
  for (int i = 0; i < 4; ++i) frame[static_cast<size_t>(i)] = static_cast<char>(len >> (8 * i));
  return frame;
}

// A BSON document at `p` with at most `avail` bytes; its length, or 0 if it does not fit.
size_t DocumentAt(const uint8_t* p, size_t avail, bson_t* doc) {
  if (avail < 5) return 0;
  const int32_t len = ReadInt32(p);
  if (len < 5 || static_cast<size_t>(len) > avail || p[len - 1] != 0) return 0;
  if (!bson_init_static(doc, p, static_cast<size_t>(len))) return 0;
  size_t bad_offset = 0;  // every element walked: a frame the upstream would choke on stops here
  if (!bson_validate(doc, BSON_VALIDATE_NONE, &bad_offset)) return 0;
  return static_cast<size_t>(len);
}

std::string FirstKey(const bson_t* doc) {
  bson_iter_t it;
  if (!bson_iter_init(&it, doc) || !bson_iter_next(&it)) return "";
  return bson_iter_key(&it);
}

std::string Utf8Field(const bson_t* doc, const char* name) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, doc, name) || !BSON_ITER_HOLDS_UTF8(&it)) return "";
  return bson_iter_utf8(&it, nullptr);
}

// A kind-1 section at `p` (after the kind byte): size, identifier, documents.
std::string CheckSequence(const uint8_t* p, size_t avail, size_t* used) {
  if (avail < 4) return "truncated document sequence";
  const int32_t size = ReadInt32(p);
  if (size < 5 || static_cast<size_t>(size) > avail) return "document sequence size out of bounds";
  const auto* end = p + size;
  const auto* id_end = static_cast<const uint8_t*>(std::memchr(p + 4, 0, static_cast<size_t>(size - 4)));
  if (id_end == nullptr) return "document sequence identifier is not terminated";
  for (const uint8_t* q = id_end + 1; q < end;) {
    bson_t doc;
    const size_t n = DocumentAt(q, static_cast<size_t>(end - q), &doc);
    if (n == 0) return "malformed document in a document sequence";
    q += n;
  }
  *used = static_cast<size_t>(size);
  return "";
}

std::string ParseMsg(std::string_view frame, Command* c) {
  const auto* p = reinterpret_cast<const uint8_t*>(frame.data());
  size_t end = frame.size();
  if (end < kHeaderBytes + 5) return "OP_MSG too short";
  c->flags = static_cast<uint32_t>(ReadInt32(p + kHeaderBytes));
  if ((c->flags & 0xFFFCu) != 0) return "OP_MSG has unknown required flag bits";
  if (c->flags & kChecksumPresent) {
    if (end < kHeaderBytes + 9) return "OP_MSG too short for its checksum";
    end -= 4;
  }
  bool have_body = false;
  for (size_t pos = kHeaderBytes + 4; pos < end;) {
    const uint8_t kind = p[pos++];
    size_t used = 0;
    if (kind == 0) {
      if (have_body) return "OP_MSG has more than one body section";
      used = DocumentAt(p + pos, end - pos, &c->body);
      if (used == 0) return "OP_MSG body is not a valid BSON document";
      have_body = true;
    } else if (kind == 1) {
      if (std::string e = CheckSequence(p + pos, end - pos, &used); !e.empty()) return e;
    } else {
      return "OP_MSG has an unknown section kind " + std::to_string(kind);
    }
    pos += used;
  }
  if (!have_body) return "OP_MSG has no body section";
  c->name = FirstKey(&c->body);
  if (c->name.empty()) return "OP_MSG body is an empty document";
  c->db = Utf8Field(&c->body, "$db");
  return "";
}

std::string ParseQuery(std::string_view frame, Command* c) {
  const auto* p = reinterpret_cast<const uint8_t*>(frame.data());
  const size_t end = frame.size();
  size_t pos = kHeaderBytes + 4;  // flags
  if (end <= pos) return "OP_QUERY too short";
  const auto* ns_end = static_cast<const uint8_t*>(std::memchr(p + pos, 0, end - pos));
  if (ns_end == nullptr) return "OP_QUERY collection name is not terminated";
  const std::string ns(reinterpret_cast<const char*>(p + pos), static_cast<size_t>(ns_end - (p + pos)));
  pos = static_cast<size_t>(ns_end - p) + 1 + 8;  // numberToSkip, numberToReturn
  if (pos >= end || DocumentAt(p + pos, end - pos, &c->body) == 0) return "OP_QUERY query is not a valid BSON document";
  const size_t dot = ns.find('.');
  if (dot == std::string::npos || ns.substr(dot + 1) != "$cmd") return "OP_QUERY is only served for commands (db.$cmd)";
  c->db = ns.substr(0, dot);
  c->name = FirstKey(&c->body);
  if (c->name == "$query" || c->name == "query") {  // {$query: {isMaster: 1}, $readPreference: ...}
    bson_iter_t it, inner;
    if (bson_iter_init_find(&it, &c->body, c->name.c_str()) && BSON_ITER_HOLDS_DOCUMENT(&it) &&
        bson_iter_recurse(&it, &inner) && bson_iter_next(&inner)) {
      c->name = bson_iter_key(&inner);
    }
  }
  return "";
}

}  // namespace

Header ParseHeader(const uint8_t* b) {
  return Header{ReadInt32(b), ReadInt32(b + 4), ReadInt32(b + 8), ReadInt32(b + 12)};
}

void AppendHeader(const Header& h, std::string* out) {
  AppendInt32(h.length, out);
  AppendInt32(h.request_id, out);
  AppendInt32(h.response_to, out);
  AppendInt32(h.op_code, out);
}

std::string CheckHeader(const Header& h, bool reply) {
  if (h.length < static_cast<int32_t>(kHeaderBytes) + 5) return "message length " + std::to_string(h.length) + " is too small";
  if (h.length > kMaxMessageBytes) {
    return "message length " + std::to_string(h.length) + " exceeds the limit of " + std::to_string(kMaxMessageBytes) + " bytes";
  }
  if (h.op_code == kOpCompressed) return "OP_COMPRESSED is not accepted: the gateway offers no compression";
  if (h.op_code != kOpMsg && h.op_code != (reply ? kOpReply : kOpQuery)) {
    return "unsupported opcode " + std::to_string(h.op_code);
  }
  return "";
}

std::string ParseCommand(std::string_view frame, Command* command) {
  if (frame.size() < kHeaderBytes) return "frame shorter than its header";
  const Header h = ParseHeader(reinterpret_cast<const uint8_t*>(frame.data()));
  if (std::string e = CheckHeader(h); !e.empty()) return e;
  if (static_cast<size_t>(h.length) != frame.size()) return "frame length does not match its header";
  command->flags = 0;
  return h.op_code == kOpMsg ? ParseMsg(frame, command) : ParseQuery(frame, command);
}

void SequenceDocuments(std::string_view frame, std::string_view identifier, std::vector<std::string_view>* docs) {
  const auto* p = reinterpret_cast<const uint8_t*>(frame.data());
  size_t end = frame.size();
  if (end < kHeaderBytes + 5) return;
  if (static_cast<uint32_t>(ReadInt32(p + kHeaderBytes)) & kChecksumPresent) end -= 4;
  for (size_t pos = kHeaderBytes + 4; pos < end;) {
    const uint8_t kind = p[pos++];
    const size_t size = static_cast<size_t>(ReadInt32(p + pos));
    if (kind == 0) {
      pos += size;
      continue;
    }
    const char* id = reinterpret_cast<const char*>(p + pos + 4);
    const size_t id_len = std::strlen(id);
    if (identifier == std::string_view(id, id_len)) {
      for (size_t q = pos + 4 + id_len + 1; q < pos + size;) {
        const size_t n = static_cast<size_t>(ReadInt32(p + q));
        docs->emplace_back(frame.data() + q, n);
        q += n;
      }
    }
    pos += size;
  }
}

bool IsHandshake(std::string_view name) { return name == "hello" || name == "isMaster" || name == "ismaster"; }

std::string MsgReply(int32_t request_id, int32_t response_to, const bson_t* doc) {
  std::string out;
  AppendHeader({0, request_id, response_to, kOpMsg}, &out);
  AppendInt32(0, &out);
  out.push_back('\0');
  AppendDoc(doc, &out);
  return Finish(std::move(out));
}

std::string LegacyReply(int32_t request_id, int32_t response_to, const bson_t* doc) {
  std::string out;
  AppendHeader({0, request_id, response_to, kOpReply}, &out);
  AppendInt32(0, &out);        // responseFlags
  out.append(8, '\0');         // cursorID
  AppendInt32(0, &out);        // startingFrom
  AppendInt32(1, &out);        // numberReturned
  AppendDoc(doc, &out);
  return Finish(std::move(out));
}

std::string MsgRequest(int32_t request_id, const bson_t* doc) { return MsgReply(request_id, 0, doc); }

bool ReplyDocument(std::string_view frame, bson_t* doc) {
  if (frame.size() < kHeaderBytes) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(frame.data());
  const Header h = ParseHeader(p);
  size_t pos = 0;
  if (h.op_code == kOpMsg) {
    pos = kHeaderBytes + 4;
    if (frame.size() <= pos || p[pos] != 0) return false;  // replies put the body first
    ++pos;
  } else if (h.op_code == kOpReply) {
    pos = kHeaderBytes + 20;
  } else {
    return false;
  }
  return pos < frame.size() && DocumentAt(p + pos, frame.size() - pos, doc) != 0;
}

std::string WithoutCompression(std::string_view frame) {
  bson_t doc;
  if (!ReplyDocument(frame, &doc) || !bson_has_field(&doc, "compression")) return std::string(frame);
  bson_t stripped = BSON_INITIALIZER;
  bson_copy_to_excluding_noinit(&doc, &stripped, "compression", nullptr);
  const Header h = ParseHeader(reinterpret_cast<const uint8_t*>(frame.data()));
  std::string out = h.op_code == kOpMsg ? MsgReply(h.request_id, h.response_to, &stripped)
                                        : LegacyReply(h.request_id, h.response_to, &stripped);
  bson_destroy(&stripped);
  return out;
}

}  // namespace aviary::gateway
