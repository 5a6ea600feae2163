#include "mapreduce/reply.h"

#include <gtest/gtest.h>

namespace aviary::mapreduce {
namespace {

rpc::JobStatus FinishedJob() {
  rpc::JobStatus job;
  job.set_state(rpc::SUCCEEDED);
  rpc::MapReduceCounts* counts = job.mutable_counts();
  counts->set_input(1000);
  counts->set_emit(2500);
  counts->set_reduce(90);
  counts->set_output(7);
  counts->set_map_millis(20);
  counts->set_shuffle_millis(3);
  counts->set_reduce_millis(9);
  counts->set_commit_millis(8);
  return job;
}

std::string Reply(const Request& r, const std::string& results = "") {
  bson_t reply = BSON_INITIALIZER;
  Error e;
  EXPECT_TRUE(BuildReply(r, FinishedJob(), results, 42, &reply, &e)) << e.message;
  std::string json = ToRelaxedJson(&reply);
  bson_destroy(&reply);
  return json;
}

TEST(BuildReply, NamedOutputIsTheCollectionNameWithCounts) {
  Request r;
  r.out_coll = "totals";
  r.out_db = "shop";
  EXPECT_EQ(Reply(r), R"({ "result" : "totals", "timeMillis" : 42, "counts" : { "input" : 1000, "emit" : 2500, )"
                      R"("reduce" : 90, "output" : 7 }, "ok" : 1.0 })");
}

TEST(BuildReply, VerboseAddsTheTimingOfEachPhase) {
  Request r;
  r.out_coll = "totals";
  r.verbose = true;
  const std::string json = Reply(r);
  EXPECT_NE(json.find(R"("timing" : { "mapTime" : 20, "shuffleTime" : 3, "reduceTime" : 9, "commitTime" : 8, )"
                      R"("total" : 42 })"), std::string::npos) << json;
}

TEST(BuildReply, AnotherDatabaseIsNamedAsMongoDbDoes) {
  Request r;
  r.out_coll = "m";
  r.out_db = "reports";
  r.out_db_given = true;
  EXPECT_EQ(Reply(r).substr(0, 55), R"({ "result" : { "db" : "reports", "collection" : "m" }, )");
}

TEST(BuildReply, InlineResultsAreDocumentsWithTheirTypes) {
  Request r;
  r.inline_out = true;
  const std::string json = Reply(r, "{\"_id\": \"a\", \"value\": 2.0}\n{\"_id\": {\"$oid\": \"5f0000000000000000000001\"}, "
                                    "\"value\": {\"n\": 3}}\n");
  EXPECT_EQ(json.substr(0, 126), R"({ "results" : [ { "_id" : "a", "value" : 2.0 }, { "_id" : { "$oid" : "5f0000000000000000000001" }, "value" : { "n" : 3 } } ], )");
}

TEST(BuildReply, AnUnparsableInlineLineIsAnError) {
  Request r;
  r.inline_out = true;
  bson_t reply = BSON_INITIALIZER;
  Error e;
  EXPECT_FALSE(BuildReply(r, FinishedJob(), "{not json\n", 1, &reply, &e));
  EXPECT_EQ(e.code_name, "InternalError");
  bson_destroy(&reply);
}

TEST(BuildErrorReply, IsOkZeroWithMessageAndCode) {
  bson_t reply = BSON_INITIALIZER;
  BuildErrorReply({139, "JSInterpreterFailure", "map threw"}, &reply);
  EXPECT_EQ(ToRelaxedJson(&reply), R"({ "ok" : 0.0, "errmsg" : "map threw", "code" : 139, "codeName" : "JSInterpreterFailure" })");
  bson_destroy(&reply);
}

TEST(ErrorFromStatus, MapsCodes) {
  EXPECT_EQ(ErrorFromStatus(InvalidArgument("x")).code, 2);
  EXPECT_EQ(ErrorFromStatus(NotFound("x")).code, 26);
  EXPECT_EQ(ErrorFromStatus(PermissionDenied("x")).code, 13);
  EXPECT_EQ(ErrorFromStatus(Unavailable("x")).code_name, "HostUnreachable");
  EXPECT_EQ(ErrorFromStatus(Internal("boom")).message, "boom");
}

}  // namespace
}  // namespace aviary::mapreduce
