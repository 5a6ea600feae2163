// `aviary demo`: from nothing to a word count of the King James Bible on a local sharded cluster.
// Brings up a 3-shard cluster, loads the Bible sharded by hashed _id, runs the built-in wordcount
// through the coordinator with a worker next to each shard, prints the top 20 words, the
// locality figures and the timings, and stops the cluster (also on failure or Ctrl-C).
#include <stdlib.h>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "client/coordinator_client.h"
#include "client/submission.h"
#include "demo/demo.h"
#include "demo/demo_bible.h"
#include "devcluster/cluster.h"
#include "devcluster/process.h"
#include "loader/load.h"
#include "storage/mongo/handles.h"
#include "storage/mongo/key_pattern.h"
#include "storage/mongo/mongo_client.h"

namespace aviary::demo {
namespace {

using devcluster::ClusterState;
using devcluster::ClusterUpOptions;
using devcluster::LocalCluster;
using loader::DocumentSet;
using loader::LoadOptions;
using loader::LoadReport;

constexpr int kTopWords = 20;

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct DemoRun {
  std::string entry;  // mongodb://HOST:PORT/
  double up_s = 0, read_s = 0, load_s = 0, job_s = 0;
  rpc::JobStatus job;
};

struct WordCount {
  std::string word;
  int64_t count = 0;
};

StatusOr<std::string> MakeDemoDir(const std::string& dir) {
  if (!dir.empty()) return dir;
  char tmpl[] = "/tmp/aviary-demo-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return IOError("cannot create a temporary directory under /tmp");
  return std::string(tmpl);
}

// The `n` documents of `coll` with the largest `value`, ties by _id; and how many there are.
StatusOr<std::vector<WordCount>> TopWords(const std::string& entry, int n, int64_t* total) {
  ASSIGN_OR_RETURN(auto client, mongo::Client::Connect(entry, 10'000));
  mongo::CollectionPtr coll(mongoc_client_get_collection(client->get(), "demo", "wordcount"));
  mongo::ScopedBson filter, opts, sort;
  BSON_APPEND_INT32(sort.get(), "value", -1);
  BSON_APPEND_INT32(sort.get(), "_id", 1);
  BSON_APPEND_DOCUMENT(opts.get(), "sort", sort.get());
  BSON_APPEND_INT64(opts.get(), "limit", n);
  bson_error_t error;
  *total = mongoc_collection_count_documents(coll.get(), filter.get(), nullptr, nullptr, nullptr, &error);
  if (*total < 0) return mongo::StatusFromBsonError(error, "counting demo.wordcount at " + entry);
  mongo::CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
  std::vector<WordCount> top;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    bson_iter_t id, value;
    if (!bson_iter_init_find(&id, doc, "_id") || !BSON_ITER_HOLDS_UTF8(&id)) continue;
    if (!bson_iter_init_find(&value, doc, "value")) continue;
    top.push_back({bson_iter_utf8(&id, nullptr), bson_iter_as_int64(&value)});
  }
  if (mongoc_cursor_error(cursor.get(), &error)) return mongo::StatusFromBsonError(error, "reading demo.wordcount at " + entry);
  return top;
}

Status LoadBible(const DocumentSet& bible, DemoRun* run) {
  const auto start = Clock::now();
  const LoadOptions options{run->entry + "demo.kjv", "_id", /*hashed=*/true, 0};
  ASSIGN_OR_RETURN(LoadReport report, loader::LoadDocuments(options, bible));
  run->load_s = SecondsSince(start);
  std::cout << "\n" << loader::DescribeLoad(report, options, "`bible -f " + std::string(kBibleRange) + "` (one verse a document)");
  return Status::OK();
}

Status RunWordCount(const std::string& coordinator, DemoRun* run) {
  client::JobOptions flags;
  flags.job = "wordcount";
  flags.input = run->entry + "demo.kjv";
  flags.output = run->entry + "demo.wordcount";
  ASSIGN_OR_RETURN(rpc::SubmitJobRequest submission, client::BuildSubmission(flags));
  client::CoordinatorClient client(coordinator);
  std::cout << "\nrunning: aviary submit wordcount --coordinator " << coordinator << " --input " << flags.input
            << " --output " << flags.output << " --wait" << std::endl;
  ASSIGN_OR_RETURN(std::string id, client.Submit(submission));
  ASSIGN_OR_RETURN(run->job, client.Wait(id, /*show_progress=*/true));
  run->job_s = run->job.end_unix() - run->job.submit_unix();
  if (run->job.state() != rpc::SUCCEEDED) return Internal("job " + id + " failed: " + run->job.error());
  return Status::OK();
}

void PrintLocality(const rpc::JobStatus& job) {
  std::cout << fmt::format("\njob {} succeeded: {} verses read, {} distinct words written\n", job.job_id(),
                           job.input_records(), job.output_records());
  std::cout << "locality (each shard read by the worker next to it):\n";
  for (const rpc::ShardReport& s : job.shards()) {
    std::cout << fmt::format("  {:<8} {:>6} documents read, {} orphans skipped, {} map tasks on {}, {}\n", s.shard(),
                             s.documents_read(), s.orphans_skipped(), s.map_tasks(), fmt::join(s.workers(), ","),
                             s.all_local() ? "read locally" : "read REMOTELY");
  }
}

Status PrintTopWords(DemoRun* run) {
  const auto start = Clock::now();
  int64_t total = 0;
  ASSIGN_OR_RETURN(std::vector<WordCount> top, TopWords(run->entry, kTopWords, &total));
  run->read_s = SecondsSince(start);
  std::cout << fmt::format("\ntop {} words (read back from demo.wordcount):\n", top.size());
  for (const WordCount& w : top) std::cout << fmt::format("  {:>8}  {}\n", w.count, w.word);
  std::cout << fmt::format("full result: {} documents {{_id: word, value: count}} in collection demo.wordcount at {}\n",
                           total, run->entry);
  return Status::OK();
}

constexpr const char* kMap = "function() { emit(this.book, 1); }";
constexpr const char* kReduce = "function(key, values) { return Array.sum(values); }";

// What an application sees through the gateway, the cluster's client entry: the calls are
// made with libmongoc here and shown as the pymongo lines that make the same requests.
Status ShowGateway(const std::string& gateway) {
  std::cout << fmt::format("\nthrough the gateway {} (the client entry: a sharded cluster as behind mongos):\n", gateway);
  ASSIGN_OR_RETURN(auto client, mongo::Client::Connect(gateway, 10'000));
  mongo::CollectionPtr kjv(mongoc_client_get_collection(client->get(), "demo", "kjv"));
  bson_error_t error;
  mongo::ScopedBson all;
  const int64_t n = mongoc_collection_count_documents(kjv.get(), all.get(), nullptr, nullptr, nullptr, &error);
  if (n < 0) return mongo::StatusFromBsonError(error, "count_documents through the gateway");
  std::cout << fmt::format("  >>> db = pymongo.MongoClient(\"{}\").demo\n  >>> db.kjv.count_documents({{}})\n  {}\n", gateway, n);
  std::cout << fmt::format("  >>> db.command(\"mapReduce\", \"kjv\", map=Code(\"{}\"),\n"
                           "  ...            reduce=Code(\"{}\"), out={{\"inline\": 1}})\n", kMap, kReduce);
  mongo::BsonPtr command(BCON_NEW("mapReduce", "kjv", "map", BCON_CODE(kMap), "reduce", BCON_CODE(kReduce), "out", "{",
                                  "inline", BCON_INT32(1), "}"));
  mongo::ScopedBson reply;
  if (!mongoc_client_command_simple(client->get(), "demo", command.get(), nullptr, reply.get(), &error)) {
    return mongo::StatusFromBsonError(error, "mapReduce through the gateway");
  }
  bson_iter_t it, results;
  size_t count = 0;
  std::string first;
  if (bson_iter_init_find(&it, reply.get(), "results") && bson_iter_recurse(&it, &results)) {
    while (bson_iter_next(&results)) {
      if (count++ > 0 || !BSON_ITER_HOLDS_DOCUMENT(&results)) continue;
      uint32_t len = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&results, &len, &data);
      first = mongo::BsonToShortJson(std::string_view(reinterpret_cast<const char*>(data), len));
    }
  }
  std::cout << fmt::format("  {{'results': [{} ... {} documents, one per book], 'ok': 1.0}}  (an Aviary JavaScript job)\n", first, count);
  return Status::OK();
}

Status RunOnCluster(LocalCluster* cluster, const DemoOptions& flags, const ClusterUpOptions& options, const DocumentSet& bible,
               DemoRun* run) {
  const auto start = Clock::now();
  std::cout << "starting a local cluster: " << flags.shards << " shard servers, a config server, two coordinators and "
            << flags.shards << " workers in " << cluster->dir() << std::endl;
  RETURN_IF_ERROR(cluster->Up(options));
  run->up_s = SecondsSince(start);
  const ClusterState state = cluster->state();
  run->entry = state.entry_uri();
  std::cout << fmt::format("cluster up in {:.1f} s; entry {}\n", run->up_s, run->entry);
  RETURN_IF_ERROR(LoadBible(bible, run));
  RETURN_IF_ERROR(RunWordCount(state.CoordinatorAddresses(), run));
  PrintLocality(run->job);
  RETURN_IF_ERROR(PrintTopWords(run));
  return ShowGateway(state.gateway.uri());
}

void PrintEpilogue(const DemoRun& run, const std::string& dir, double stop_s, double total_s) {
  std::cout << fmt::format("\ntimings: cluster up {:.1f} s, load {:.1f} s, wordcount job {:.1f} s, read result {:.2f} s, "
                           "shutdown {:.1f} s; total {:.1f} s\n",
                           run.up_s, run.load_s, run.job_s, run.read_s, stop_s, total_s);
  std::cout << "the cluster is stopped; its data stays in " << dir << ":\n"
            << "  " << devcluster::SelfExePath() << " cluster up --dir " << dir << "    # start it again (entry " << run.entry << ")\n"
            << "  rm -rf " << dir << "    # remove it" << std::endl;
}

}  // namespace

Status RunDemo(const DemoOptions& flags, std::string* cluster_dir) {
  const auto start = Clock::now();
  const std::string bible_path = devcluster::FindOnPath("bible");
  if (bible_path.empty()) {
    return FailedPrecondition("the demo counts the words of the King James Bible from Debian's bible-kjv package, "
                              "but `bible` is not on PATH; install it with scripts/setup.sh (or apt-get install bible-kjv)");
  }
  ASSIGN_OR_RETURN(DocumentSet bible, ReadKingJamesBible(bible_path));  // before any thread starts
  ASSIGN_OR_RETURN(std::string dir, MakeDemoDir(flags.dir));
  ASSIGN_OR_RETURN(std::unique_ptr<LocalCluster> cluster, LocalCluster::Open(dir, /*create=*/true));
  LocalCluster* raw = cluster.get();
  devcluster::InterruptHandler interrupt([raw](int) {
    std::cerr << "\naviary demo: interrupted; stopping the cluster in " << raw->dir() << std::endl;
    (void)raw->Stop();
  });
  ClusterUpOptions options;
  options.shards = flags.shards;
  options.log_level = flags.log_level;
  std::error_code ec;
  options.secret_file = flags.secret_file.empty() ? flags.secret_file : std::filesystem::absolute(flags.secret_file, ec).string();
  DemoRun run;
  const Status s = RunOnCluster(raw, flags, options, bible, &run);
  const auto stop_start = Clock::now();
  std::cout << "\nstopping the cluster..." << std::endl;
  (void)raw->Stop();
  interrupt.Disarm();
  if (!s.ok()) {
    *cluster_dir = raw->dir();
    return s;
  }
  PrintEpilogue(run, raw->dir(), SecondsSince(stop_start), SecondsSince(start));
  return Status::OK();
}

}  // namespace aviary::demo
