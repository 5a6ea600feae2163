#include "mapreduce/command.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

namespace aviary::mapreduce {
namespace {

using BsonPtr = OwnedBson;

BsonPtr Json(const std::string& json) {
  bson_error_t e;
  bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()), static_cast<ssize_t>(json.size()), &e);
  EXPECT_NE(doc, nullptr) << e.message << " in " << json;
  return BsonPtr(doc);
}

const Target kTarget{"mongodb://h1:27017,h2:27018/?tls=false", "shop"};

bool HasParam(const Request& r, const std::string& p) {
  return std::find(r.job.params.begin(), r.job.params.end(), p) != r.job.params.end();
}

Request Parse(const std::string& json, const Target& target = kTarget) {
  Request r;
  Error e;
  EXPECT_TRUE(ParseCommand(Json(json).get(), target, &r, &e)) << e.message;
  return r;
}

Error Refuse(const std::string& json) {
  Request r;
  Error e;
  EXPECT_FALSE(ParseCommand(Json(json).get(), kTarget, &r, &e)) << json;
  return e;
}

TEST(ParseCommand, StringFunctionsAndNamedOutputBecomeAReplaceJob) {
  Request r = Parse(R"({"mapReduce": "orders", "map": "function () { emit(this.c, 1); }",
                        "reduce": "function (k, v) { return Array.sum(v); }", "out": "totals"})");
  EXPECT_EQ(r.job.job, "javascript");
  EXPECT_EQ(r.job.input, "mongodb://h1:27017,h2:27018/shop.orders?tls=false");
  EXPECT_EQ(r.job.output, "mongodb://h1:27017,h2:27018/shop.totals?tls=false");
  EXPECT_EQ(r.out_mode, "replace");
  EXPECT_EQ(r.job.output_options.at("out-mode"), "replace");
  EXPECT_TRUE(HasParam(r, "map=function () { emit(this.c, 1); }"));
  EXPECT_TRUE(HasParam(r, "reduce=function (k, v) { return Array.sum(v); }"));
  EXPECT_EQ(r.job.params.size(), 2u);
  EXPECT_FALSE(r.inline_out);
  EXPECT_FALSE(r.out_db_given);
  EXPECT_EQ(r.out_coll, "totals");
  EXPECT_EQ(r.out_db, "shop");
}

TEST(ParseCommand, BsonCodeAndCodeWithScopeAreFunctionsAndTheirScopeJoinsScope) {
  bson_t* cmd = BCON_NEW("mapReduce", "c");
  bson_t* inner = BCON_NEW("factor", BCON_INT32(3));
  BSON_APPEND_CODE(cmd, "map", "function () { emit(this.k, this.v * factor); }");
  BSON_APPEND_CODE_WITH_SCOPE(cmd, "reduce", "function (k, v) { return Array.sum(v); }", inner);
  BSON_APPEND_CODE(cmd, "finalize", "function (k, v) { return v + bonus; }");
  bson_t* scope = BCON_NEW("bonus", BCON_INT32(1));
  BSON_APPEND_DOCUMENT(cmd, "scope", scope);
  bson_t* out = BCON_NEW("inline", BCON_INT32(1));
  BSON_APPEND_DOCUMENT(cmd, "out", out);
  Request r;
  Error e;
  ASSERT_TRUE(ParseCommand(cmd, kTarget, &r, &e)) << e.message;
  EXPECT_TRUE(HasParam(r, "map=function () { emit(this.k, this.v * factor); }"));
  EXPECT_TRUE(HasParam(r, "finalize=function (k, v) { return v + bonus; }"));
  EXPECT_TRUE(HasParam(r, R"(scope={ "factor" : { "$numberInt" : "3" }, "bonus" : { "$numberInt" : "1" } })"));
  EXPECT_TRUE(r.inline_out);
  EXPECT_EQ(r.job.output, "inline");
  EXPECT_TRUE(r.job.output_options.empty());  // the inline sink takes no out mode
  for (bson_t* b : {cmd, inner, scope, out}) bson_destroy(b);
}

TEST(ParseCommand, OutModesAndOtherDatabases) {
  Request merge = Parse(R"({"mapReduce": "c", "map": "f", "reduce": "g", "out": {"merge": "m", "db": "reports"}})");
  EXPECT_EQ(merge.job.output_options.at("out-mode"), "merge");
  EXPECT_EQ(merge.job.output, "mongodb://h1:27017,h2:27018/reports.m?tls=false");
  EXPECT_TRUE(merge.out_db_given);
  Request reduce = Parse(R"({"mapReduce": "c", "map": "f", "reduce": "g", "out": {"reduce": "r", "nonAtomic": true}})");
  EXPECT_EQ(reduce.job.output_options.at("out-mode"), "reduce");
  EXPECT_EQ(reduce.job.output, "mongodb://h1:27017,h2:27018/shop.r?tls=false");
  Request replace = Parse(R"({"mapReduce": "c", "map": "f", "reduce": "g", "out": {"replace": "x"}})");
  EXPECT_EQ(replace.out_mode, "replace");
}

TEST(ParseCommand, QueryBecomesExtendedJsonAndDbComesFromDollarDbFirst) {
  Request r = Parse(R"({"mapReduce": "c", "map": "f", "reduce": "g", "out": {"inline": 1},
                        "query": {"status": "A", "n": {"$gt": 5}}, "$db": "other", "lsid": {"id": 1},
                        "verbose": true})");
  EXPECT_EQ(r.in_db, "other");
  EXPECT_EQ(r.job.input, "mongodb://h1:27017,h2:27018/other.c?tls=false");
  EXPECT_EQ(r.job.input_options.at("query"), R"({ "status" : "A", "n" : { "$gt" : { "$numberInt" : "5" } } })");
  EXPECT_TRUE(r.verbose);
}

TEST(ParseCommand, DatabaseFromTheUriWhenNoneIsGiven) {
  Request r = Parse(R"({"mapReduce": "c", "map": "f", "reduce": "g", "out": "o"})", Target{"mongodb://h:1/db9", ""});
  EXPECT_EQ(r.job.input, "mongodb://h:1/db9.c");
  EXPECT_EQ(r.job.output, "mongodb://h:1/db9.o");
  Request r2;
  Error e;
  EXPECT_FALSE(ParseCommand(Json(R"({"mapReduce": "c", "map": "f", "reduce": "g", "out": "o"})").get(),
                            Target{"mongodb://h:1/", ""}, &r2, &e));
  EXPECT_EQ(e.code_name, "InvalidNamespace");
}

TEST(ParseCommand, RefusesWhatMongoDbRefuses) {
  EXPECT_EQ(Refuse(R"({"mapReduce": "c", "reduce": "g", "out": "o"})").code, 40414);
  EXPECT_EQ(Refuse(R"({"mapReduce": "c", "map": "f", "out": "o"})").code, 40414);
  EXPECT_EQ(Refuse(R"({"mapReduce": "c", "map": "f", "reduce": "g"})").code, 40414);
  const Error unknown = Refuse(R"({"mapReduce": "c", "map": "f", "reduce": "g", "out": "o", "bogus": 1})");
  EXPECT_EQ(unknown.code, 40415);
  EXPECT_EQ(unknown.message, "BSON field 'mapReduce.bogus' is an unknown field.");
  EXPECT_EQ(Refuse(R"({"mapReduce": 5, "map": "f", "reduce": "g", "out": "o"})").code_name, "InvalidNamespace");
  EXPECT_EQ(Refuse(R"({"mapReduce": "c", "map": 5, "reduce": "g", "out": "o"})").code_name, "TypeMismatch");
  EXPECT_EQ(Refuse(R"({"mapReduce": "c", "map": "f", "reduce": "g", "out": 5})").code_name, "TypeMismatch");
  EXPECT_EQ(Refuse(R"({"mapReduce": "c", "map": "f", "reduce": "g", "out": {"db": "x"}})").code_name, "BadValue");
  EXPECT_EQ(Refuse(R"({"mapReduce": "c", "map": "f", "reduce": "g", "out": {"merge": "a", "reduce": "b"}})").code_name,
            "BadValue");
  EXPECT_EQ(Refuse(R"({"mapReduce": "c", "map": "f", "reduce": "g", "out": "o", "query": 3})").code_name, "TypeMismatch");
  EXPECT_EQ(Refuse(R"({"find": "c"})").code_name, "FailedToParse");
}

TEST(ParseCommand, SortAndLimitBecomeTheMongoSourcesOptions) {
  Request r = Parse(R"({"mapReduce": "c", "map": "f", "reduce": "g", "out": "o", "query": {"a": 1},
                        "sort": {"price": -1, "qty": 1}, "limit": 10})");
  EXPECT_EQ(r.job.input_options.at("limit"), "10");
  bson_error_t e;
  BsonPtr sort(bson_new_from_json(reinterpret_cast<const uint8_t*>(r.job.input_options.at("sort").data()), -1, &e));
  ASSERT_NE(sort.get(), nullptr) << r.job.input_options.at("sort");
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init(&it, sort.get()) && bson_iter_next(&it));
  EXPECT_STREQ(bson_iter_key(&it), "price");
  EXPECT_EQ(bson_iter_as_int64(&it), -1);
  ASSERT_TRUE(bson_iter_next(&it));
  EXPECT_STREQ(bson_iter_key(&it), "qty");
  EXPECT_FALSE(bson_iter_next(&it));
  EXPECT_TRUE(r.job.input_options.count("query"));
  // An integral double is a limit too (the shell sends numbers as doubles).
  EXPECT_EQ(Parse(R"({"mapReduce": "c", "map": "f", "reduce": "g", "out": "o", "limit": 3.0})").job.input_options.at("limit"),
            "3");
}

TEST(ParseCommand, EmptySortZeroLimitAndSortAloneSelectEveryDocument) {
  for (const char* extra : {R"("sort": {}, "limit": 0)", R"("sort": {"a": 1})", R"("limit": null)"}) {
    Request r = Parse(std::string(R"({"mapReduce": "c", "map": "f", "reduce": "g", "out": "o", )") + extra + "}");
    EXPECT_EQ(r.job.input_options.count("sort"), 0u) << extra;
    EXPECT_EQ(r.job.input_options.count("limit"), 0u) << extra;
  }
}

TEST(ParseCommand, BadSortsAndLimitsAreRefused) {
  const std::string head = R"({"mapReduce": "c", "map": "f", "reduce": "g", "out": "o", )";
  EXPECT_EQ(Refuse(head + R"("sort": {"a": 2}, "limit": 1})").code_name, "BadValue");
  EXPECT_EQ(Refuse(head + R"("sort": {"a": "up"}})").code_name, "BadValue");
  EXPECT_EQ(Refuse(head + R"("sort": 1})").code_name, "TypeMismatch");
  EXPECT_EQ(Refuse(head + R"("limit": -1})").code_name, "BadValue");
  EXPECT_EQ(Refuse(head + R"("limit": 2.5})").code_name, "BadValue");
  EXPECT_EQ(Refuse(head + R"("limit": "5"})").code_name, "TypeMismatch");
}

TEST(ParseCommand, ReduceSingleBecomesTheJobsParameter) {
  const std::string base = R"({"mapReduce": "o", "map": "function () {}", "reduce": "function (k, v) {}", "out": "t")";
  EXPECT_TRUE(HasParam(Parse(base + R"(, "reduceSingle": true})"), "reduce_single=true"));
  EXPECT_FALSE(HasParam(Parse(base + R"(, "reduceSingle": false})"), "reduce_single=true"));
  EXPECT_FALSE(HasParam(Parse(base + "}"), "reduce_single=true"));
  EXPECT_NE(Refuse(base + R"(, "reduceSingle": 1})").message.find("expected a boolean"), std::string::npos);
}

// maxTimeMS is honoured (the runner cancels the job past it), so it is read, not ignored.
TEST(ParseCommand, MaxTimeMsIsReadAndCheckedNotIgnored) {
  const std::string base = R"({"mapReduce": "o", "map": "function () {}", "reduce": "function (k, v) {}", "out": "t")";
  EXPECT_EQ(Parse(base + R"(, "maxTimeMS": 1500})").max_time_ms, 1500);
  EXPECT_EQ(Parse(base + "}").max_time_ms, 0);
  EXPECT_EQ(Refuse(base + R"(, "maxTimeMS": -1})").code, 2);
  EXPECT_EQ(Refuse(base + R"(, "maxTimeMS": "soon"})").code, 2);
}

TEST(CollectionUri, ReplacesThePathKeepingHostsAndOptions) {
  EXPECT_EQ(CollectionUri("mongodb://h:1", "d", "c"), "mongodb://h:1/d.c");
  EXPECT_EQ(CollectionUri("mongodb://h:1/", "d", "c"), "mongodb://h:1/d.c");
  EXPECT_EQ(CollectionUri("mongodb://u:p@h:1/old.x?authSource=admin", "d", "c"), "mongodb://u:p@h:1/d.c?authSource=admin");
  EXPECT_EQ(CollectionUri("mongodb://h:1?replicaSet=r", "d", "c"), "mongodb://h:1/d.c?replicaSet=r");
  EXPECT_EQ(UriDatabase("mongodb://h:1/"), "");
  EXPECT_EQ(UriDatabase("mongodb://h:1/shop?x=1"), "shop");
  EXPECT_EQ(UriDatabase("mongodb://h:1/shop.orders"), "shop");
}

}  // namespace
}  // namespace aviary::mapreduce
