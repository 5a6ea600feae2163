// MongoOutput against a live aviary-shardserver: out modes replace, merge and reduce (with a
// second, incremental run), retried attempts, abort, unstorable keys, unreachable servers.
#include "storage/mongo/mongo_output.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "storage/mongo/mongo_input.h"
#include "storage/mongo/mongo_writer.h"
#include "storage/mongo/queries.h"
#include "storage/mongo/test_cluster.h"

namespace aviary::mongo {
namespace {

using testing::Collections;
using testing::Insert;
using testing::ReadAll;
using testing::ShardServer;

using Pairs = std::vector<std::pair<std::string, int64_t>>;

class MongoOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<ShardServer>> s = ShardServer::Start();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
  }

  std::unique_ptr<OutputFormat> Output(const std::string& mode, int batch_size = 3) {
    MongoOutputOptions options;
    options.out_mode = mode;
    options.batch_size = batch_size;  // small, so that writes span several bulks
    StatusOr<std::unique_ptr<OutputFormat>> out = NewMongoOutput(uri(), options);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return std::move(out).value();
  }

  // One reduce attempt writing `pairs`; returns its committed location.
  CommittedPartition WriteAttempt(OutputFormat* out, const std::string& job, uint32_t p, uint32_t a, const Pairs& pairs) {
    EXPECT_TRUE(out->SetupJob(job).ok());  // idempotent: the coordinator sets a job up once
    StatusOr<std::unique_ptr<OutputWriter>> w = out->OpenTaskWriter(job, p, a);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    for (const auto& [k, v] : pairs) EXPECT_TRUE((*w)->Write(ValueView::String(k), ValueView::Int64(v)).ok());
    EXPECT_TRUE((*w)->Close().ok());
    return {p, a, (*w)->location(), pairs.size()};
  }

  std::string uri() const { return server_->uri() + "out.counts"; }
  std::map<std::string, std::string> Target() const { return ReadAll(server_->uri(), "out.counts"); }
  std::vector<std::string> Temps() const {
    std::vector<std::string> temps;
    for (const std::string& c : Collections(server_->uri(), "out")) {
      if (c.starts_with("aviary_tmp_")) temps.push_back(c);
    }
    return temps;
  }

  std::unique_ptr<ShardServer> server_;
};

std::string Row(const std::string& id, int64_t v) {
  return R"({ "_id" : ")" + id + R"(", "value" : )" + std::to_string(v) + " }";
}

TEST_F(MongoOutputTest, ReplaceSwapsInTheResult) {
  Insert(server_->uri(), "out.counts", {R"({"_id": "stale", "value": 9})"});
  auto out = Output("replace");
  ASSERT_TRUE(out->SetupJob("job-1").ok());
  std::vector<CommittedPartition> winners = {WriteAttempt(out.get(), "job-1", 0, 1, {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}}),
                                             WriteAttempt(out.get(), "job-1", 1, 1, {{"e", 5}}),
                                             WriteAttempt(out.get(), "job-1", 2, 1, {})};  // an empty partition
  EXPECT_EQ(Target().size(), 1u) << "nothing visible before the commit";
  Status s = out->CommitJob("job-1", winners);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::map<std::string, std::string> t = Target();
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[R"({ "_id" : "a" })"], Row("a", 1));
  EXPECT_EQ(t[R"({ "_id" : "e" })"], Row("e", 5));
  EXPECT_EQ(t.count(R"({ "_id" : "stale" })"), 0u);
  EXPECT_TRUE(Temps().empty());
}

TEST_F(MongoOutputTest, ReplaceKeepsTheTargetsIndexes) {
  Insert(server_->uri(), "out.counts", {R"({"_id": "old", "value": 1})"});
  std::unique_ptr<Client> client = testing::MustConnect(server_->uri());
  const std::string cmd = testing::Bson(R"({"createIndexes": "counts", "indexes": [{"key": {"value": -1}, "name": "by_value"}]})");
  BsonView command(cmd);
  ScopedBson reply;
  bson_error_t error;
  ASSERT_TRUE(mongoc_client_command_simple(client->get(), "out", command.get(), nullptr, reply.get(), &error)) << error.message;

  auto out = Output("replace");
  ASSERT_TRUE(out->CommitJob("job-ix", {WriteAttempt(out.get(), "job-ix", 0, 1, {{"a", 1}})}).ok());
  CollectionPtr c(mongoc_client_get_collection(client->get(), "out", "counts"));
  CursorPtr cursor(mongoc_collection_find_indexes_with_opts(c.get(), nullptr));
  std::set<std::string> names;
  const bson_t* doc;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, "name")) names.insert(bson_iter_utf8(&it, nullptr));
  }
  EXPECT_EQ(names, (std::set<std::string>{"_id_", "by_value"}));
}

TEST_F(MongoOutputTest, MergeOverwritesByIdAndKeepsOthers) {
  Insert(server_->uri(), "out.counts", {R"({"_id": "a", "value": 1})", R"({"_id": "b", "value": 1})"});
  auto out = Output("merge");
  ASSERT_TRUE(out->SetupJob("job-m").ok());
  EXPECT_TRUE(out->ExtraInputSplits()->empty());
  ASSERT_TRUE(out->CommitJob("job-m", {WriteAttempt(out.get(), "job-m", 0, 1, {{"b", 2}, {"c", 2}})}).ok());
  std::map<std::string, std::string> t = Target();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[R"({ "_id" : "a" })"], Row("a", 1));
  EXPECT_EQ(t[R"({ "_id" : "b" })"], Row("b", 2));
  EXPECT_EQ(t[R"({ "_id" : "c" })"], Row("c", 2));
  EXPECT_TRUE(Temps().empty());
}

// Reads the passthrough split as the job's map side would, for the incremental run.
std::map<std::string, int64_t> ReadPassthrough(const std::string& uri, const rpc::InputSplit& split) {
  class Sink : public RecordSink {
   public:
    bool OnRecord(const Record& r) override {
      values[std::string(r.document()->Get("_id")->as_string())] += r.document()->Get("value")->as_int();
      return true;
    }
    std::map<std::string, int64_t> values;
  } sink;
  StatusOr<std::unique_ptr<InputFormat>> in = NewMongoInput(uri, {});
  EXPECT_TRUE(in.ok());
  InputStats stats;
  EXPECT_TRUE((*in)->ReadSplit(split, &sink, &stats).ok());
  return sink.values;
}

TEST_F(MongoOutputTest, ReduceIncrementalRun) {
  auto first = Output("reduce");
  StatusOr<std::vector<rpc::InputSplit>> extra = first->ExtraInputSplits();
  ASSERT_TRUE(extra.ok()) << extra.status().ToString();
  EXPECT_TRUE(extra->empty()) << "no previous result yet";
  ASSERT_TRUE(first->SetupJob("job-r1").ok());
  ASSERT_TRUE(first->CommitJob("job-r1", {WriteAttempt(first.get(), "job-r1", 0, 1, {{"a", 1}, {"b", 1}})}).ok());

  // Second run: the old result comes back as a passthrough split; the job's reduce sums old and
  // new values per key (done by hand here), keys only in the old result are kept.
  auto second = Output("reduce");
  extra = second->ExtraInputSplits();
  ASSERT_TRUE(extra.ok());
  ASSERT_EQ(extra->size(), 1u);
  const MongoSplit m = MongoPayload((*extra)[0]);
  EXPECT_TRUE((*extra)[0].passthrough());
  EXPECT_EQ(m.namespace_(), "out.counts");
  EXPECT_EQ((*extra)[0].location(), "");
  std::map<std::string, int64_t> combined = ReadPassthrough(uri(), (*extra)[0]);
  combined["b"] += 10;
  combined["c"] += 5;
  Pairs pairs(combined.begin(), combined.end());
  ASSERT_TRUE(second->SetupJob("job-r2").ok());
  ASSERT_TRUE(second->CommitJob("job-r2", {WriteAttempt(second.get(), "job-r2", 0, 1, pairs)}).ok());
  std::map<std::string, std::string> t = Target();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[R"({ "_id" : "a" })"], Row("a", 1));
  EXPECT_EQ(t[R"({ "_id" : "b" })"], Row("b", 11));
  EXPECT_EQ(t[R"({ "_id" : "c" })"], Row("c", 5));
}

TEST_F(MongoOutputTest, MergeAndReduceOfNothingStillCreateTheTarget) {
  for (const char* mode : {"merge", "reduce"}) {
    auto out = Output(mode);
    const std::string job = std::string("job-empty-") + mode;
    ASSERT_TRUE(out->SetupJob(job).ok());
    ASSERT_TRUE(out->CommitJob(job, {WriteAttempt(out.get(), job, 0, 1, {})}).ok()) << mode;
    std::vector<std::string> names = Collections(server_->uri(), "out");
    EXPECT_NE(std::find(names.begin(), names.end(), "counts"), names.end()) << mode;
    EXPECT_TRUE(Target().empty());
    ASSERT_TRUE(DropCollection(testing::MustConnect(server_->uri()).get(), "out", "counts").ok());
  }
}

// The reduce side writes only keys with new results (shuffle/existing_result.h): the commit must
// leave every other target document exactly as it is, extra fields and _id type included.
TEST_F(MongoOutputTest, ReduceCommitLeavesOtherTargetDocumentsUntouched) {
  auto first = Output("merge");
  ASSERT_TRUE(first->SetupJob("job-u1").ok());
  StatusOr<std::unique_ptr<OutputWriter>> w = first->OpenTaskWriter("job-u1", 0, 1);
  ASSERT_TRUE(w.ok());
  // Not {_id, value} alone: as another tool (or MongoDB with extra fields) may have left it.
  const int64_t nine = 9;
  ASSERT_TRUE((*w)->Write(ValueView::String("old"), DocumentBuilder().Append("n", nine).Finish()).ok());
  ASSERT_TRUE((*w)->Close().ok());
  ASSERT_TRUE(first->CommitJob("job-u1", {{0, 1, (*w)->location(), 1}}).ok());
  const std::map<std::string, std::string> before = Target();

  auto second = Output("reduce");
  ASSERT_TRUE(second->SetupJob("job-u2").ok());
  ASSERT_TRUE(second->CommitJob("job-u2", {WriteAttempt(second.get(), "job-u2", 0, 1, {{"new", 5}})}).ok());
  std::map<std::string, std::string> t = Target();
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[R"({ "_id" : "old" })"], before.at(R"({ "_id" : "old" })"));
  EXPECT_EQ(t[R"({ "_id" : "new" })"], Row("new", 5));
}

// MongoDB's 16 MiB document limit, checked before the server sees the document.
TEST_F(MongoOutputTest, DocumentsOver16MiBFailNamingTheKey) {
  auto out = Output("replace");
  ASSERT_TRUE(out->SetupJob("job-big").ok());
  StatusOr<std::unique_ptr<OutputWriter>> w = out->OpenTaskWriter("job-big", 0, 1);
  ASSERT_TRUE(w.ok());
  // {_id: "k", value: "xxx..."}: 4 + (1 + 4 + 4 + 2) + (1 + 6 + 4 + n + 1) + 1 bytes.
  const size_t fixed = 4 + 11 + 12 + 1;
  const std::string at_limit(kMaxBsonDocumentBytes - fixed, 'x');
  EXPECT_TRUE((*w)->Write(ValueView::String("k"), ValueView::String(at_limit)).ok());
  const std::string over(kMaxBsonDocumentBytes - fixed + 1, 'x');
  Status s = (*w)->Write(ValueView::String("huge"), ValueView::String(over));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("BSONObjectTooLarge"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(R"(key "huge")"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("16777220 bytes"), std::string::npos) << s.message();
  const std::string huge_key(kMaxBsonDocumentBytes, 'k');
  EXPECT_NE((*w)->Write(ValueView::String(huge_key), ValueView::Null()).message().find("BSONObjectTooLarge"),
            std::string::npos);
  EXPECT_TRUE(out->AbortJob("job-big").ok());
}

// A key the collection already holds: the error names it (FerretDB's E11000 message does not).
TEST_F(MongoOutputTest, DuplicateKeysAreNamed) {
  Insert(server_->uri(), "out.dups", {R"({"_id": "b", "value": 1})"});
  StatusOr<std::unique_ptr<Client>> client = Client::Connect(server_->uri());
  ASSERT_TRUE(client.ok());
  MongoWriter writer(std::move(client).value(), "out", "dups", /*batch_size=*/10);
  const int64_t two = 2;
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(writer.Write(ValueView::String(key), ValueView::Int64(two)).ok());
  Status s = writer.Close();
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find(R"(duplicate key "b" in dups)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("E11000"), std::string::npos) << s.message();
}

// Attempt 1 of partition 0 wrote part of its output, then its worker was lost; attempt 2 wrote
// all of it, finding attempt 1's documents there: each key lands once.
TEST_F(MongoOutputTest, ARetriedPartitionLandsOnce) {
  auto out = Output("replace");
  ASSERT_TRUE(out->SetupJob("job-retry").ok());
  WriteAttempt(out.get(), "job-retry", 0, 1, {{"a", 1}, {"b", 2}});
  CommittedPartition winner = WriteAttempt(out.get(), "job-retry", 0, 2, {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}});
  CommittedPartition other = WriteAttempt(out.get(), "job-retry", 1, 1, {{"e", 5}});
  EXPECT_EQ(winner.location, other.location) << "one staged collection for the whole job";
  ASSERT_TRUE(out->CommitJob("job-retry", {winner, other}).ok());
  std::map<std::string, std::string> t = Target();
  EXPECT_EQ(t.size(), 5u);
  EXPECT_EQ(t[R"({ "_id" : "d" })"], Row("d", 4));
  EXPECT_TRUE(Temps().empty());
}

// A lost attempt wrote a key its partition's winner did not (a task that is not deterministic):
// the commit refuses, the target keeps what it held, and nothing of the job is left.
TEST_F(MongoOutputTest, AnAttemptThatWroteOtherKeysFailsTheCommit) {
  Insert(server_->uri(), "out.counts", {R"({"_id": "keep", "value": 1})"});
  auto out = Output("replace");
  WriteAttempt(out.get(), "job-nd", 0, 1, {{"a", 1}, {"zombie", 7}});
  CommittedPartition winner = WriteAttempt(out.get(), "job-nd", 0, 2, {{"a", 1}, {"b", 2}});
  Status s = out->CommitJob("job-nd", {winner});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("holds 3 documents where the winning reduce attempts wrote 2"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("not deterministic"), std::string::npos) << s.message();
  std::map<std::string, std::string> t = Target();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t.begin()->second, Row("keep", 1));
  EXPECT_TRUE(Temps().empty());
}

// A duplicate _id is an earlier attempt's write only when it is the same key byte for byte; a
// key the server merely finds equal (1.0 and 1) is another key, and named.
TEST_F(MongoOutputTest, OnlyIdenticalKeysCountAsReplays) {
  Insert(server_->uri(), "out.dups", {R"({"_id": "b", "value": 2})", R"({"_id": 1, "value": 2})"});
  std::unique_ptr<Client> client = testing::MustConnect(server_->uri());
  MongoWriter replay(std::move(client), "out", "dups", /*batch_size=*/10);
  replay.AcceptReplays();
  const int64_t two = 2;
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(replay.Write(ValueView::String(key), ValueView::Int64(two)).ok());
  const int32_t one = 1;
  ASSERT_TRUE(replay.Write(ValueView(Type::kInt32, reinterpret_cast<const char*>(&one), 4), ValueView::Int64(two)).ok());
  Status s = replay.Close();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ReadAll(server_->uri(), "out.dups").size(), 4u);

  MongoWriter other(testing::MustConnect(server_->uri()), "out", "dups", /*batch_size=*/10);
  other.AcceptReplays();
  const double one_double = 1.0;
  ASSERT_TRUE(other.Write(ValueView::String("d"), ValueView::Int64(two)).ok());
  ASSERT_TRUE(other.Write(ValueView::Double(one_double), ValueView::Int64(two)).ok());
  s = other.Close();
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find("duplicate key 1.0 in dups: the collection holds another key the server finds equal"),
            std::string::npos)
      << s.message();
}

// Redone from the start after the staged output was renamed: the commit completes.
TEST_F(MongoOutputTest, ACommitInterruptedAfterSealingCanBeRedone) {
  Insert(server_->uri(), "out.counts", {R"({"_id": "old", "value": 1})"});
  auto out = Output("replace");
  std::vector<CommittedPartition> winners = {WriteAttempt(out.get(), "job-x", 0, 1, {{"a", 1}}),
                                             WriteAttempt(out.get(), "job-x", 1, 1, {{"b", 2}, {"c", 3}})};
  std::unique_ptr<Client> client = testing::MustConnect(server_->uri());
  ASSERT_TRUE(RenameCollection(client.get(), "out", "aviary_tmp_job-x_staged", "aviary_tmp_job-x_result", false).ok());
  ASSERT_TRUE(out->CommitJob("job-x", winners).ok());
  EXPECT_EQ(Target().size(), 3u);
  EXPECT_TRUE(Temps().empty());
  // And once more after it completed: nothing changes.
  ASSERT_TRUE(out->CommitJob("job-x", winners).ok());
  EXPECT_EQ(Target().size(), 3u);
}

// Redone after the swap, while a late attempt of the job re-created the staged collection: what
// that attempt wrote is not taken for the job's output.
TEST_F(MongoOutputTest, ACommitRedoneAfterTheSwapIgnoresALateWriter) {
  auto out = Output("replace");
  std::vector<CommittedPartition> winners = {WriteAttempt(out.get(), "job-y", 0, 1, {{"a", 1}, {"b", 2}})};
  std::unique_ptr<Client> client = testing::MustConnect(server_->uri());
  ASSERT_TRUE(RenameCollection(client.get(), "out", "aviary_tmp_job-y_staged", "aviary_tmp_job-y_result", false).ok());
  Insert(server_->uri(), "out.aviary_tmp_job-y_committing", {R"({"_id": 0})"});
  ASSERT_TRUE(RenameCollection(client.get(), "out", "aviary_tmp_job-y_result", "counts", false).ok());
  Insert(server_->uri(), "out.aviary_tmp_job-y_staged", {R"({"_id": "late", "value": 1})"});
  ASSERT_TRUE(out->CommitJob("job-y", winners).ok());
  std::map<std::string, std::string> t = Target();
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.count(R"({ "_id" : "late" })"), 0u);
  EXPECT_TRUE(Temps().empty());
}

// An attempt that outlives its job (its worker cut off while another attempt won) leaves nothing:
// after the commit it cannot open a writer, and one it opened before writes nothing that stays.
TEST_F(MongoOutputTest, AnAttemptThatOutlivesItsJobLeavesNothing) {
  auto out = Output("replace");
  ASSERT_TRUE(out->SetupJob("job-late").ok());
  StatusOr<std::unique_ptr<OutputWriter>> late = out->OpenTaskWriter("job-late", 0, 1);
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  ASSERT_TRUE(out->CommitJob("job-late", {WriteAttempt(out.get(), "job-late", 0, 2, {{"a", 1}})}).ok());
  EXPECT_TRUE(Temps().empty());
  // The late writer goes on: MongoDB re-creates its collection on insert, and Close drops it.
  const int64_t one = 1;
  EXPECT_TRUE((*late)->Write(ValueView::String("z"), ValueView::Int64(one)).ok());
  Status closed = (*late)->Close();
  EXPECT_EQ(closed.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(closed.message().find("the job ended while this attempt wrote"), std::string::npos) << closed.message();
  StatusOr<std::unique_ptr<OutputWriter>> later = out->OpenTaskWriter("job-late", 1, 3);
  EXPECT_EQ(later.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(later.status().message().find("job job-late has ended"), std::string::npos);
  EXPECT_TRUE(Temps().empty());
  EXPECT_EQ(Target().size(), 1u);
}

// What a late attempt killed before its Close left is dropped by the next job set up there; a
// job still open keeps its collections, and other names are not touched.
TEST_F(MongoOutputTest, SettingUpAJobDropsWhatEndedJobsLeft) {
  for (const char* name : {"aviary_tmp_job-gone_p0_a1", "aviary_tmp_job-gone_result", "aviary_tmp_job-gone_staged",
                           "aviary_tmp_job-gone_committing", "aviary_tmp_job-live_p3_a12", "aviary_tmp_job-live_staged",
                           "aviary_tmp_job-live_open", "aviary_tmp_notes", "aviary_tmp_job-x_p1_b2"}) {
    Insert(server_->uri(), std::string("out.") + name, {R"({"_id": 1})"});
  }
  auto out = Output("replace");
  ASSERT_TRUE(out->SetupJob("job-next").ok());
  std::vector<std::string> left = Temps();
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"aviary_tmp_job-live_open", "aviary_tmp_job-live_p3_a12",
                                            "aviary_tmp_job-live_staged", "aviary_tmp_job-next_open",
                                            "aviary_tmp_job-next_staged", "aviary_tmp_job-x_p1_b2", "aviary_tmp_notes"}));
}

TEST_F(MongoOutputTest, AbortLeavesTheTargetUntouched) {
  Insert(server_->uri(), "out.counts", {R"({"_id": "keep", "value": 1})"});
  auto out = Output("replace");
  ASSERT_TRUE(out->SetupJob("job-a").ok());
  WriteAttempt(out.get(), "job-a", 0, 1, {{"x", 1}});
  WriteAttempt(out.get(), "job-a", 1, 1, {{"y", 1}});
  ASSERT_TRUE(out->AbortJob("job-a").ok());
  std::map<std::string, std::string> t = Target();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t.begin()->second, Row("keep", 1));
  EXPECT_TRUE(Temps().empty());
}

TEST_F(MongoOutputTest, AbortRestoresATargetMovedAside) {
  // FerretDB's swap moves the old target to aviary_tmp_<job>_old before the second rename.
  Insert(server_->uri(), "out.counts", {R"({"_id": "keep", "value": 1})"});
  std::unique_ptr<Client> client = testing::MustConnect(server_->uri());
  ASSERT_TRUE(RenameCollection(client.get(), "out", "counts", "aviary_tmp_job-b_old", false).ok());
  auto out = Output("replace");
  ASSERT_TRUE(out->AbortJob("job-b").ok());
  EXPECT_EQ(Target().size(), 1u);
  EXPECT_TRUE(Temps().empty());
}

TEST_F(MongoOutputTest, UnstorableKeysAreNamed) {
  auto out = Output("replace");
  ASSERT_TRUE(out->SetupJob("job-k").ok());
  StatusOr<std::unique_ptr<OutputWriter>> w = out->OpenTaskWriter("job-k", 0, 1);
  ASSERT_TRUE(w.ok());
  const int64_t one = 1;
  Value array = ArrayBuilder().Push(ValueView::String("x")).Finish();
  Status s = (*w)->Write(array, ValueView::Int64(one));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), R"(cannot store key ["x"] in MongoDB: _id cannot be an array)");
  Value dotted = DocumentBuilder().Append("a.b", int64_t{1}).Finish();
  s = (*w)->Write(dotted, ValueView::Int64(one));
  EXPECT_EQ(s.message(), R"(cannot store key {"a.b": 1} in MongoDB: a field name contains '.')");
  Value dollar = DocumentBuilder().Append("$x", int64_t{1}).Finish();
  EXPECT_NE((*w)->Write(dollar, ValueView::Int64(one)).message().find("starts with '$'"), std::string::npos);
  Value nested = ArrayBuilder().Push(ArrayBuilder().Push(ValueView::Int64(one)).Finish()).Finish();
  s = (*w)->Write(ValueView::String("k"), nested);
  EXPECT_EQ(s.message(), R"(cannot store the value of key "k" in MongoDB: an array holds an array (FerretDB cannot store nested arrays))");
  Value fine = DocumentBuilder().Append("a", std::string_view("b")).Finish();
  EXPECT_TRUE((*w)->Write(fine, ValueView::Int64(one)).ok());
  EXPECT_TRUE((*w)->Close().ok());
  EXPECT_TRUE(out->AbortJob("job-k").ok());
}

TEST(MongoOutputErrors, UnreachableServerAndBadOptions) {
  StatusOr<std::unique_ptr<OutputFormat>> out = NewMongoOutput("mongodb://u:secret@127.0.0.1:1/db.out", {});
  ASSERT_TRUE(out.ok());
  Status s = (*out)->SetupJob("job");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("cannot reach mongodb://u:***@127.0.0.1:1/"), std::string::npos) << s.message();
  EXPECT_EQ((*out)->Describe(), "mongodb://u:***@127.0.0.1:1/db.out");

  MongoOutputOptions options;
  options.out_mode = "inline";
  out = NewMongoOutput("mongodb://h:1/db.out", options);
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  out = NewMongoOutput("mongodb://h:1/db", {});
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  out = NewMongoOutput("mongodb://h:1/d b.c", {});
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  // MongoDB's own databases, refused as mapReduce refuses them (on the local cluster `config`
  // holds the chunk table).
  for (const char* db : {"admin", "config", "local"}) {
    out = NewMongoOutput(std::string("mongodb://h:1/") + db + ".mr_out", {});
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << db;
    EXPECT_NE(out.status().message().find(std::string("database '") + db + "'"), std::string::npos)
        << out.status().message();
  }
  EXPECT_TRUE(NewMongoOutput("mongodb://h:1/configs.out", {}).ok());
  EXPECT_EQ(NewMongoOutput("mongodb://h:1/db.system.js", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(NewMongoOutput("mongodb://h:1/Admin2.out", {}).ok());
}

}  // namespace
}  // namespace aviary::mongo
