#include "loader/load.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "loader/load_chunks.h"
#include "loader/load_writer.h"
#include "loader/shards.h"
#include "storage/mongo/mongo_client.h"

namespace aviary::loader {
namespace {

constexpr int kConnectMs = 10'000;
constexpr uint32_t kChunksPerShard = 2;

Status CheckTarget(const mongo::CollectionUri& uri) {
  if (uri.database == "config" || uri.database == "admin" || uri.database == "local") {
    return InvalidArgument("--into names the reserved database '" + uri.database + "'; load into another database");
  }
  return Status::OK();
}

StatusOr<std::vector<ValueView>> ExtractKeys(const DocumentSet& docs, const std::string& field) {
  std::vector<ValueView> keys;
  keys.reserve(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    StatusOr<ValueView> key = ShardKeyOf(docs.doc(i), field);
    if (!key.ok()) return key.status().WithContext(docs.Where(i));
    keys.push_back(*key);
  }
  return keys;
}

// Document indices per shard, by the chunk that owns each document's key.
std::vector<std::vector<size_t>> Route(const ChunkPlan& plan, const std::vector<ValueView>& keys, size_t shards) {
  std::vector<std::vector<size_t>> routes(shards);
  for (size_t i = 0; i < keys.size(); ++i) routes[plan.owner[ChunkOf(plan, keys[i])]].push_back(i);
  return routes;
}

// One thread per shard: each shard is its own server process.
Status InsertAll(const std::vector<mongo::ShardInfo>& shards, const LoadTarget& target, const DocumentSet& docs,
                 const std::vector<std::vector<size_t>>& routes) {
  std::vector<Status> results(shards.size());
  std::vector<std::thread> threads;
  for (size_t s = 0; s < shards.size(); ++s) {
    threads.emplace_back([&, s] { results[s] = InsertIntoShard(shards[s], target, docs, routes[s]); });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& s : results) RETURN_IF_ERROR(s);
  return Status::OK();
}

LoadReport MakeReport(const LoadTarget& target, const ChunkPlan& plan, const std::vector<mongo::ShardInfo>& shards,
                      const std::vector<std::vector<size_t>>& routes, bool replaced) {
  LoadReport report;
  report.ns = target.ns();
  report.entry = target.entry;
  report.chunks = static_cast<uint32_t>(plan.chunks());
  report.replaced = replaced;
  for (size_t s = 0; s < shards.size(); ++s) {
    ShardLoad load{shards[s].name, routes[s].size(), 0};
    for (int owner : plan.owner) load.chunks += owner == static_cast<int>(s) ? 1 : 0;
    report.documents += load.documents;
    report.shards.push_back(load);
  }
  return report;
}

}  // namespace

StatusOr<LoadReport> LoadDocuments(const LoadOptions& options, const DocumentSet& docs) {
  const auto start = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(CheckShardKeyField(options.shard_key));
  ASSIGN_OR_RETURN(mongo::CollectionUri uri, mongo::ParseCollectionUri(options.into));
  RETURN_IF_ERROR(CheckTarget(uri));
  const LoadTarget target{HostOfUri(uri.server_uri), uri.database, uri.collection, uri.server_uri};
  ASSIGN_OR_RETURN(auto entry, mongo::Client::Connect(uri.server_uri, kConnectMs));
  ASSIGN_OR_RETURN(std::vector<mongo::ShardInfo> shards, ReadShards(entry->get(), target.entry));
  ASSIGN_OR_RETURN(std::vector<ValueView> keys, ExtractKeys(docs, options.shard_key));
  const int chunks = static_cast<int>(options.chunks > 0 ? options.chunks : kChunksPerShard * shards.size());
  const int n = static_cast<int>(shards.size());
  const ChunkPlan plan = options.hashed ? PlanHashedChunks(options.shard_key, chunks, n)
                                        : PlanRangedChunks(options.shard_key, keys, chunks, n);
  const std::vector<std::vector<size_t>> routes = Route(plan, keys, shards.size());
  ASSIGN_OR_RETURN(bool replaced, DropPreviousLoad(entry->get(), target, shards));
  RETURN_IF_ERROR(WriteMetadata(entry->get(), target, plan, shards));
  RETURN_IF_ERROR(InsertAll(shards, target, docs, routes));
  LoadReport report = MakeReport(target, plan, shards, routes, replaced);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

std::string DescribeLoad(const LoadReport& report, const LoadOptions& options, const std::string& source) {
  std::string out = fmt::format("loaded {} documents from {} into {} at {} in {:.1f} s{}\n", report.documents, source,
                                report.ns, report.entry, report.seconds,
                                report.replaced ? " (replacing the earlier load)" : "");
  out += fmt::format("  shard key {{{}: {}}}, {} chunks\n", options.shard_key, options.hashed ? "\"hashed\"" : "1",
                     report.chunks);
  for (const ShardLoad& s : report.shards) {
    out += fmt::format("  {:<10} {:>9} documents  {} chunks\n", s.name, s.documents, s.chunks);
  }
  return out;
}

}  // namespace aviary::loader
