#include "worker/user_error.h"

#include <gtest/gtest.h>

namespace aviary::worker {
namespace {

TEST(UserErrorTest, MarksOnlyUserCodeErrors) {
  rpc::TaskResult plain;
  MarkUserError(Internal("plugin crashed with SIGSEGV"), &plain);
  EXPECT_FALSE(plain.user_error());
  EXPECT_TRUE(plain.error_fingerprint().empty());

  rpc::TaskResult user;
  MarkUserError(UserCodeError("Reduce", "plugin threw boom in Reduce for key \"a\""), &user);
  EXPECT_TRUE(user.user_error());
  EXPECT_EQ(user.user_function(), "Reduce");
  EXPECT_EQ(user.error_fingerprint(), "Reduce: plugin threw boom in Reduce for key \"a\"");
}

TEST(UserErrorTest, ContextKeepsTheMark) {
  const Status s = UserCodeError("Map", "plugin threw in Map: x").WithContext("map task 2");
  EXPECT_TRUE(s.user_code());
  EXPECT_EQ(s.user_function(), "Map");
  EXPECT_EQ(s.message(), "map task 2: plugin threw in Map: x");
}

TEST(UserErrorTest, FingerprintMasksAddressesOnly) {
  EXPECT_EQ(ErrorFingerprint("Map", "bad object at 0x7f3aBC01 (record at f offset 12)"),
            "Map: bad object at 0x? (record at f offset 12)");
  EXPECT_EQ(ErrorFingerprint("Map", "0x"), "Map: 0x");
  EXPECT_NE(ErrorFingerprint("Map", "boom"), ErrorFingerprint("Reduce", "boom"));
}

}  // namespace
}  // namespace aviary::worker
