#include "gateway/wire.h"

#include <gtest/gtest.h>

#include <cstring>

namespace aviary::gateway {
namespace {

std::string Int32(int32_t v) {
  std::string s(4, '\0');
  std::memcpy(s.data(), &v, 4);
  return s;
}

std::string Doc(const bson_t* d) { return std::string(reinterpret_cast<const char*>(bson_get_data(d)), d->len); }

// An OP_MSG frame from its body (after the header), with the length filled in.
std::string Frame(int32_t op, const std::string& body, int32_t id = 7) {
  return Int32(static_cast<int32_t>(16 + body.size())) + Int32(id) + Int32(0) + Int32(op) + body;
}

TEST(Wire, ParsesAnOpMsgCommandWithADocumentSequence) {
  bson_t* cmd = BCON_NEW("insert", "orders", "$db", "shop");
  bson_t* d = BCON_NEW("_id", BCON_INT32(1));
  const std::string seq_docs = Doc(d) + Doc(d);
  const std::string seq = std::string(1, '\1') + Int32(static_cast<int32_t>(4 + 10 + seq_docs.size())) + "documents" +
                          std::string(1, '\0') + seq_docs;
  const std::string frame = Frame(kOpMsg, Int32(0) + std::string(1, '\0') + Doc(cmd) + seq);
  Command c;
  EXPECT_EQ(ParseCommand(frame, &c), "");
  EXPECT_EQ(c.name, "insert");
  EXPECT_EQ(c.db, "shop");
  bson_destroy(cmd);
  bson_destroy(d);
}

TEST(Wire, RefusesMalformedOpMsgs) {
  bson_t* cmd = BCON_NEW("find", "c", "$db", "d");
  const std::string body = std::string(1, '\0') + Doc(cmd);
  Command c;
  EXPECT_EQ(ParseCommand(Frame(kOpMsg, Int32(0) + body), &c), "");
  EXPECT_NE(ParseCommand(Frame(kOpMsg, Int32(1 << 3) + body), &c), "");            // unknown required bit
  EXPECT_NE(ParseCommand(Frame(kOpMsg, Int32(0) + body + body), &c), "");          // two bodies
  EXPECT_NE(ParseCommand(Frame(kOpMsg, Int32(0) + std::string(1, '\2') + Doc(cmd)), &c), "");  // section kind 2
  EXPECT_NE(ParseCommand(Frame(kOpMsg, Int32(0) + body.substr(0, body.size() - 3)), &c), "");  // truncated doc
  EXPECT_NE(ParseCommand(Frame(kOpMsg, Int32(0)), &c), "");                        // no body
  std::string bad_len = Frame(kOpMsg, Int32(0) + body);
  bad_len[20] = 0x7f;                                                              // document length beyond the frame
  EXPECT_NE(ParseCommand(bad_len, &c), "");
  std::string bad_type = Frame(kOpMsg, Int32(0) + body);
  bad_type[25] = 0x77;                                                             // no such element type
  EXPECT_NE(ParseCommand(bad_type, &c), "");
  bson_destroy(cmd);
}

TEST(Wire, HeadersOutsideTheLimitsOrWithUnknownOpcodesAreRefused) {
  EXPECT_EQ(CheckHeader({100, 1, 0, kOpMsg}), "");
  EXPECT_EQ(CheckHeader({100, 1, 0, kOpQuery}), "");
  EXPECT_NE(CheckHeader({kMaxMessageBytes + 1, 1, 0, kOpMsg}).find("exceeds the limit"), std::string::npos);
  EXPECT_NE(CheckHeader({-5, 1, 0, kOpMsg}), "");
  EXPECT_NE(CheckHeader({10, 1, 0, kOpMsg}), "");
  EXPECT_NE(CheckHeader({100, 1, 0, 2012}).find("OP_COMPRESSED"), std::string::npos);
  EXPECT_NE(CheckHeader({100, 1, 0, 2005}).find("unsupported opcode 2005"), std::string::npos);
  EXPECT_NE(CheckHeader({100, 1, 0, kOpReply}), "");  // from a client
  EXPECT_EQ(CheckHeader({100, 1, 0, kOpReply}, /*reply=*/true), "");
  EXPECT_NE(CheckHeader({100, 1, 0, kOpQuery}, /*reply=*/true), "");
}

TEST(Wire, OpQueryIsACommandOnDollarCmdOnly) {
  bson_t* q = BCON_NEW("$query", "{", "isMaster", BCON_INT32(1), "}");
  Command c;
  const std::string ok = Frame(kOpQuery, Int32(0) + "admin.$cmd" + std::string(1, '\0') + Int32(0) + Int32(-1) + Doc(q));
  EXPECT_EQ(ParseCommand(ok, &c), "");
  EXPECT_EQ(c.name, "isMaster");
  EXPECT_EQ(c.db, "admin");
  EXPECT_TRUE(IsHandshake(c.name));
  const std::string coll = Frame(kOpQuery, Int32(0) + "shop.orders" + std::string(1, '\0') + Int32(0) + Int32(-1) + Doc(q));
  EXPECT_NE(ParseCommand(coll, &c), "");
  bson_destroy(q);
}

TEST(Wire, RepliesRoundTripAndCompressionIsStripped) {
  bson_t* hello = BCON_NEW("isWritablePrimary", BCON_BOOL(true), "compression", "[", "zlib", "]", "ok", BCON_DOUBLE(1));
  for (const std::string& frame : {MsgReply(5, 9, hello), LegacyReply(5, 9, hello)}) {
    const Header h = ParseHeader(reinterpret_cast<const uint8_t*>(frame.data()));
    EXPECT_EQ(static_cast<size_t>(h.length), frame.size());
    EXPECT_EQ(h.response_to, 9);
    const std::string stripped = WithoutCompression(frame);
    bson_t doc;
    ASSERT_TRUE(ReplyDocument(stripped, &doc));
    EXPECT_FALSE(bson_has_field(&doc, "compression"));
    EXPECT_TRUE(bson_has_field(&doc, "isWritablePrimary"));
    EXPECT_EQ(ParseHeader(reinterpret_cast<const uint8_t*>(stripped.data())).response_to, 9);
    EXPECT_EQ(WithoutCompression(stripped), stripped);
  }
  bson_destroy(hello);
}

}  // namespace
}  // namespace aviary::gateway
