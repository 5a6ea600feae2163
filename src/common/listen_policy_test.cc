#include "common/listen_policy.h"

#include <gtest/gtest.h>

namespace aviary {
namespace {

TEST(ListenPolicyTest, APortAloneMeansLoopback) {
  EXPECT_EQ(ListenOnLoopbackByDefault("7470"), "127.0.0.1:7470");
  EXPECT_EQ(ListenOnLoopbackByDefault(":7470"), "127.0.0.1:7470");
  EXPECT_EQ(ListenOnLoopbackByDefault("0.0.0.0:7470"), "0.0.0.0:7470");
  EXPECT_EQ(ListenOnLoopbackByDefault("[::]:7470"), "[::]:7470");
  EXPECT_EQ(ListenOnLoopbackByDefault("host:"), "host:");
}

TEST(ListenPolicyTest, TellsLoopbackFromTheNetwork) {
  for (const char* loopback : {"127.0.0.1:1", "127.8.9.10:0", "[::1]:1", "::1:1", "localhost:1", "[::ffff:127.0.0.1]:1"}) {
    StatusOr<bool> r = IsLoopbackListen(loopback);
    ASSERT_TRUE(r.ok()) << loopback << ": " << r.status().message();
    EXPECT_TRUE(*r) << loopback;
  }
  for (const char* network : {"0.0.0.0:1", "[::]:1", ":1", "10.1.2.3:1", "192.168.0.1:7470", "[fe80::1]:1", "8.8.8.8:53"}) {
    StatusOr<bool> r = IsLoopbackListen(network);
    ASSERT_TRUE(r.ok()) << network << ": " << r.status().message();
    EXPECT_FALSE(*r) << network;
  }
}

TEST(ListenPolicyTest, AnUnknownHostIsAnErrorNamingIt) {
  StatusOr<bool> r = IsLoopbackListen("no-such-host.invalid:7470");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no-such-host.invalid:7470"), std::string::npos) << r.status().message();
}

TEST(ListenPolicyTest, ANetworkAddressNeedsAuthenticationOrInsecure) {
  const ListenSecurity open{"coordinator RPC", "", "Set a cluster secret"};
  const ListenSecurity secured{"coordinator RPC", "the cluster secret", "Set a cluster secret"};
  EXPECT_TRUE(CheckListen("127.0.0.1:7470", open, /*insecure=*/false).ok());
  EXPECT_TRUE(CheckListen("0.0.0.0:7470", secured, false).ok());
  EXPECT_TRUE(CheckListen("0.0.0.0:7470", open, /*insecure=*/true).ok());
  Status refused = CheckListen("0.0.0.0:7470", open, false);
  EXPECT_EQ(refused.code(), StatusCode::kPermissionDenied);
  for (const char* part : {"coordinator RPC", "0.0.0.0:7470", "without authentication", "Set a cluster secret", "--insecure"}) {
    EXPECT_NE(refused.message().find(part), std::string::npos) << part << " in: " << refused.message();
  }
}

}  // namespace
}  // namespace aviary
