#include "rpc/utf8.h"

#include <gtest/gtest.h>

#include "rpc/aviary.pb.h"

namespace aviary::rpc {
namespace {

TEST(Utf8Test, ValidTextPasses) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\xA6"));
}

TEST(Utf8Test, InvalidBytesAreFound) {
  EXPECT_FALSE(IsValidUtf8("caf\xE9"));          // Latin-1
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // cut short
}

TEST(Utf8Test, RepairEscapesOnlyTheBadBytes) {
  EXPECT_EQ(ToValidUtf8("caf\xE9.txt"), "caf\\xE9.txt");
  EXPECT_EQ(ToValidUtf8("\xC3\xA9\xFF"), "\xC3\xA9\\xFF");
  EXPECT_TRUE(IsValidUtf8(ToValidUtf8("\xE2\x82 \x80\x80 \xF0")));
}

TEST(Utf8Test, CheckNamesTheFieldAndItsValue) {
  TaskSpec spec;
  spec.set_job_id("job-1");
  (*spec.mutable_job()->mutable_params())["name"] = "ok";
  spec.mutable_split()->set_description("/in/caf\xE9.txt@0+5");
  Status s = CheckUtf8(spec);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("split.description"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("caf\\xE9"), std::string::npos) << s.message();
  spec.mutable_split()->set_description("fine");
  EXPECT_TRUE(CheckUtf8(spec).ok());
}

TEST(Utf8Test, RepairMakesEveryNestedFieldSendable) {
  HeartbeatRequest request;
  TaskResult* result = request.add_finished();
  result->set_error("plugin said \xFF\xFE");
  result->add_counters()->set_name("bad\x80");
  request.add_running()->set_job_id("job-\xC0");
  ASSERT_FALSE(CheckUtf8(request).ok());
  RepairUtf8(&request);
  EXPECT_TRUE(CheckUtf8(request).ok());
  EXPECT_EQ(request.finished(0).error(), "plugin said \\xFF\\xFE");
  std::string wire;
  ASSERT_TRUE(request.SerializeToString(&wire));
  HeartbeatRequest parsed;
  EXPECT_TRUE(parsed.ParseFromString(wire));
}

TEST(Utf8Test, RepairReachesMapValues) {
  JobSpec spec;
  (*spec.mutable_params())["k"] = "v\xFF";
  RepairUtf8(&spec);
  EXPECT_EQ(spec.params().at("k"), "v\\xFF");
}

}  // namespace
}  // namespace aviary::rpc
