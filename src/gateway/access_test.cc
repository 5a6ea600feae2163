#include "gateway/access.h"

#include <gtest/gtest.h>

#include <memory>

namespace aviary::gateway {
namespace {

using BsonPtr = mapreduce::OwnedBson;

BsonPtr Json(const std::string& json) {
  bson_error_t e;
  bson_t* d = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()), static_cast<ssize_t>(json.size()), &e);
  EXPECT_NE(d, nullptr) << e.message;
  return BsonPtr(d);
}

// connectionStatus as MongoDB answers it for a user with the given privileges.
Access Status(const std::string& users, const std::string& privileges) {
  Access a;
  std::string error;
  EXPECT_TRUE(ParseConnectionStatus(Json(R"({"authInfo": {"authenticatedUsers": )" + users +
                                         R"(, "authenticatedUserRoles": [], "authenticatedUserPrivileges": )" +
                                         privileges + "}, \"ok\": 1.0}").get(),
                                    &a, &error))
      << error;
  return a;
}

mapreduce::Request Req(const std::string& out_mode, bool inline_out = false) {
  mapreduce::Request r;
  r.in_db = "shop";
  r.in_coll = "orders";
  r.inline_out = inline_out;
  r.out_db = "reports";
  r.out_coll = "totals";
  r.out_mode = out_mode;
  return r;
}

const char* kUser = R"([{"user": "ann", "db": "admin"}])";

TEST(Access, AnUnauthenticatedConnectionIsRefused) {
  std::string why;
  EXPECT_FALSE(MayRun(Status("[]", "[]"), Req("replace", true), &why));
  EXPECT_EQ(why, "command mapReduce requires authentication");
}

TEST(Access, ReadOnTheInputSufficesForInline) {
  const Access a = Status(kUser, R"([{"resource": {"db": "shop", "collection": "orders"}, "actions": ["find"]}])");
  std::string why;
  EXPECT_TRUE(MayRun(a, Req("replace", true), &why)) << why;
  EXPECT_FALSE(MayRun(a, Req("replace"), &why));
  EXPECT_NE(why.find("insert on reports.totals is not granted to ann@admin"), std::string::npos) << why;
}

TEST(Access, OutModesNeedTheirActionsOnTheOutput) {
  const Access rw = Status(kUser, R"([{"resource": {"db": "shop", "collection": ""}, "actions": ["find"]},
                                       {"resource": {"db": "reports", "collection": ""}, "actions": ["insert", "remove"]}])");
  std::string why;
  EXPECT_TRUE(MayRun(rw, Req("replace"), &why)) << why;
  EXPECT_FALSE(MayRun(rw, Req("merge"), &why));
  EXPECT_NE(why.find("update"), std::string::npos);
  const Access all = Status(kUser, R"([{"resource": {"db": "", "collection": ""}, "actions": ["find", "insert", "update"]}])");
  EXPECT_TRUE(MayRun(all, Req("reduce"), &why)) << why;
  EXPECT_FALSE(MayRun(all, Req("replace"), &why));  // no remove
  const Access root = Status(kUser, R"([{"resource": {"anyResource": true}, "actions": ["find", "insert", "remove"]}])");
  EXPECT_TRUE(MayRun(root, Req("replace"), &why)) << why;
  const Access cluster = Status(kUser, R"([{"resource": {"cluster": true}, "actions": ["find"]}])");
  EXPECT_FALSE(MayRun(cluster, Req("replace", true), &why));
}

TEST(Access, OtherDatabasesAndCollectionsDoNotCount) {
  const Access a = Status(kUser, R"([{"resource": {"db": "shop", "collection": "other"}, "actions": ["find"]},
                                      {"resource": {"db": "elsewhere", "collection": ""}, "actions": ["find"]}])");
  std::string why;
  EXPECT_FALSE(MayRun(a, Req("replace", true), &why));
}

TEST(Access, ARefusedConnectionStatusIsAnError) {
  Access a;
  std::string error;
  EXPECT_FALSE(ParseConnectionStatus(Json(R"({"ok": 0.0, "errmsg": "no"})").get(), &a, &error));
  EXPECT_FALSE(ParseConnectionStatus(Json(R"({"ok": 1.0})").get(), &a, &error));
}

}  // namespace
}  // namespace aviary::gateway
