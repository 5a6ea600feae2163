#include "storage/mongo/snapshot.h"

#include <gtest/gtest.h>

#include "storage/mongo/handles.h"
#include "storage/mongo/test_shardserver.h"

namespace aviary::mongo {
namespace {

ClusterTime Time(uint32_t seconds, uint32_t increment) { return static_cast<ClusterTime>(seconds) << 32 | increment; }

TEST(SnapshotTimeOf, ReadsTheCursorsClusterTime) {
  ScopedBson reply, cursor;
  bson_append_document_begin(reply.get(), "cursor", -1, cursor.get());
  bson_append_timestamp(cursor.get(), "atClusterTime", -1, 1700000000, 7);
  bson_append_document_end(reply.get(), cursor.get());
  EXPECT_EQ(SnapshotTimeOf(reply.get()), Time(1700000000, 7));
  EXPECT_EQ(ClusterTimeText(Time(1700000000, 7)), "Timestamp(1700000000, 7)");
}

TEST(SnapshotTimeOf, NoneWithoutATimestampThere) {
  ScopedBson none;
  BSON_APPEND_INT32(none.get(), "ok", 1);
  EXPECT_FALSE(SnapshotTimeOf(none.get()));
  ScopedBson wrong_type, cursor;  // a number where a Timestamp belongs
  bson_append_document_begin(wrong_type.get(), "cursor", -1, cursor.get());
  BSON_APPEND_INT64(cursor.get(), "atClusterTime", 12);
  bson_append_document_end(wrong_type.get(), cursor.get());
  EXPECT_FALSE(SnapshotTimeOf(wrong_type.get()));
}

TEST(CommonReadTime, TheEarliestWhenEverySourceHasOne) {
  std::vector<SnapshotProbe> probes = {{"shard a", Time(100, 5), ""}, {"shard b", Time(100, 2), ""},
                                       {"shard c", Time(101, 0), ""}};
  EXPECT_EQ(CommonReadTime(probes), Time(100, 2));  // increments order within a second
  EXPECT_NE(ConsistencyNote(probes).find("one point in time: every source read at cluster time Timestamp(100, 2)"),
            std::string::npos);
  probes.push_back({"shard d", std::nullopt, "refused readConcern \"snapshot\": not a replica set"});
  EXPECT_FALSE(CommonReadTime(probes));
  EXPECT_EQ(ConsistencyNote(probes),
            "no single point in time: each source is read at its own time, because shard d refused readConcern "
            "\"snapshot\": not a replica set; a chunk migration during the job fails it before commit");
  EXPECT_FALSE(CommonReadTime({}));
}

TEST(CursorError, ExplainsAnExpiredSnapshot) {
  bson_error_t error{};
  error.domain = MONGOC_ERROR_SERVER;
  error.code = 239;
  bson_strncpy(error.message, "Read timestamp is older than the oldest available timestamp", sizeof error.message);
  Status s = CursorError(error, Time(100, 1), "reading shop.items");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("Timestamp(100, 1)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("minSnapshotHistoryWindowInSeconds"), std::string::npos) << s.message();
  // Not a snapshot read: the plain driver error.
  EXPECT_EQ(CursorError(error, 0, "reading shop.items").code(), StatusCode::kInternal);
}

// Against a real server: FerretDB answers a snapshot find but ignores the read concern, and the
// read concern Aviary builds reaches the server as MongoDB expects it (libmongoc's own find
// would drop atClusterTime: this test caught that).
class SnapshotServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<testing::ShardServer>> server = testing::ShardServer::Start();
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    StatusOr<std::unique_ptr<Client>> client = Client::Connect(server_->uri());
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
  }
  std::unique_ptr<testing::ShardServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(SnapshotServerTest, FerretDbIgnoresSnapshotReads) {
  SnapshotProbe probe = ProbeSnapshot(client_.get(), "shard s0", "shop", "items");
  EXPECT_FALSE(probe.time);
  EXPECT_EQ(probe.refusal, "ignored readConcern \"snapshot\" (its reply names no atClusterTime)");
}

// The commands libmongoc sends, as its APM hook sees them.
void RecordFind(const mongoc_apm_command_started_t* event) {
  if (std::string_view(mongoc_apm_command_started_get_command_name(event)) != "find") return;
  auto* sent = static_cast<std::string*>(mongoc_apm_command_started_get_context(event));
  const bson_t* command = mongoc_apm_command_started_get_command(event);
  *sent = std::string(BsonBytes(command));
}

TEST_F(SnapshotServerTest, FindCarriesTheReadConcernAsGivenAndReadsEveryBatch) {
  CollectionPtr collection(mongoc_client_get_collection(client_->get(), "shop", "items"));
  for (int i = 0; i < 5; ++i) {
    ScopedBson doc;
    BSON_APPEND_INT32(doc.get(), "_id", i);
    bson_error_t error;
    ASSERT_TRUE(mongoc_collection_insert_one(collection.get(), doc.get(), nullptr, nullptr, &error)) << error.message;
  }
  std::string sent;
  mongoc_apm_callbacks_t* callbacks = mongoc_apm_callbacks_new();
  mongoc_apm_set_command_started_cb(callbacks, RecordFind);
  ASSERT_TRUE(mongoc_client_set_apm_callbacks(client_->get(), callbacks, &sent));
  mongoc_apm_callbacks_destroy(callbacks);

  ScopedBson filter, opts;
  BSON_APPEND_INT32(opts.get(), "batchSize", 2);  // three batches: the first, then two getMores
  bson_error_t error;
  CursorPtr cursor(FindAtClusterTime(client_.get(), "shop", "items", filter.get(), opts.get(), Time(1700000000, 9), &error));
  ASSERT_TRUE(cursor) << error.message;
  const bson_t* doc = nullptr;
  int read = 0;
  while (mongoc_cursor_next(cursor.get(), &doc)) ++read;
  ASSERT_FALSE(mongoc_cursor_error(cursor.get(), &error)) << error.message;
  EXPECT_EQ(read, 5);  // FerretDB ignores the read concern and reads the present

  ASSERT_FALSE(sent.empty());
  BsonView command(sent);
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init(&it, command.get()) && bson_iter_find_descendant(&it, "readConcern.level", &it));
  EXPECT_STREQ(bson_iter_utf8(&it, nullptr), "snapshot");
  ASSERT_TRUE(bson_iter_init(&it, command.get()) && bson_iter_find_descendant(&it, "readConcern.atClusterTime", &it));
  ASSERT_TRUE(BSON_ITER_HOLDS_TIMESTAMP(&it));
  uint32_t seconds = 0, increment = 0;
  bson_iter_timestamp(&it, &seconds, &increment);
  EXPECT_EQ(seconds, 1700000000u);
  EXPECT_EQ(increment, 9u);
  ASSERT_TRUE(bson_iter_init_find(&it, command.get(), "batchSize"));
  EXPECT_EQ(bson_iter_as_int64(&it), 2);
}

TEST_F(SnapshotServerTest, AFailedFindSaysWhy) {
  ScopedBson filter, opts;
  BSON_APPEND_UTF8(opts.get(), "sort", "not a document");
  bson_error_t error;
  CursorPtr cursor(FindAtClusterTime(client_.get(), "shop", "items", filter.get(), opts.get(), Time(1, 1), &error));
  EXPECT_FALSE(cursor);
  EXPECT_NE(std::string(error.message), "");
}

}  // namespace
}  // namespace aviary::mongo
