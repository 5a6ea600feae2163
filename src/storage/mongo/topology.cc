#include "storage/mongo/topology.h"

#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "storage/mongo/bson_walk.h"
#include "storage/mongo/handles.h"
#include "storage/mongo/queries.h"

namespace aviary::mongo {
namespace {

bool GetString(std::string_view doc, std::string_view field, std::string* out) {
  BsonElement e;
  if (!FindPath(doc.data(), doc.size(), field, &e) || e.type != 0x02) return false;
  out->assign(e.payload + 4, e.size - 5);
  return true;
}

// The raw payload of `field` when it has `type`; empty otherwise.
std::string_view GetRaw(std::string_view doc, std::string_view field, uint8_t type) {
  BsonElement e;
  if (!FindPath(doc.data(), doc.size(), field, &e) || e.type != type) return {};
  return std::string_view(e.payload, e.size);
}

bool GetBool(std::string_view doc, std::string_view field) {
  BsonElement e;
  return FindPath(doc.data(), doc.size(), field, &e) && e.type == 0x08 && e.payload[0] != 0;
}

// The config.collections entry of `ns`, or empty.
std::string_view FindCollectionEntry(const std::string& ns, const std::vector<std::string>& collections) {
  for (const std::string& doc : collections) {
    std::string id;
    if (GetString(doc, "_id", &id) && id == ns) return doc;
  }
  return {};
}

// Chunks carry the collection's uuid since 5.0 and its namespace before.
bool ChunkBelongs(std::string_view chunk, const std::string& ns, std::string_view uuid) {
  const std::string_view chunk_uuid = GetRaw(chunk, "uuid", 0x05);
  if (!chunk_uuid.empty()) return chunk_uuid == uuid;
  std::string chunk_ns;
  return GetString(chunk, "ns", &chunk_ns) && chunk_ns == ns;
}

StatusOr<Chunk> ParseChunk(std::string_view doc, const KeyPattern& key) {
  Chunk chunk;
  const std::string_view min = GetRaw(doc, "min", 0x03), max = GetRaw(doc, "max", 0x03);
  if (min.empty() || max.empty() || !GetString(doc, "shard", &chunk.shard)) {
    return FailedPrecondition("config.chunks document lacks min, max or shard: " + BsonToShortJson(doc));
  }
  ASSIGN_OR_RETURN(chunk.min, NormalizeBound(min, key));
  ASSIGN_OR_RETURN(chunk.max, NormalizeBound(max, key));
  return chunk;
}

bool AllOfType(std::string_view bound, uint8_t type) {
  BsonWalker w(bound.data(), bound.size());
  BsonElement e;
  while (w.Next(&e)) {
    if (e.type != type) return false;
  }
  return true;
}

// The chunks must tile the key space: MinKey to MaxKey, each max the next one's min.
Status CheckCoverage(const std::string& ns, const std::vector<Chunk>& chunks) {
  if (chunks.empty()) return FailedPrecondition("sharded collection " + ns + " has no chunks in config.chunks");
  if (!AllOfType(chunks.front().min, kBsonMinKey) || !AllOfType(chunks.back().max, kBsonMaxKey)) {
    return FailedPrecondition("chunks of " + ns + " do not span MinKey to MaxKey");
  }
  for (size_t i = 0; i + 1 < chunks.size(); ++i) {
    if (CompareBounds(chunks[i].max, chunks[i + 1].min) != 0) {
      return FailedPrecondition("chunks of " + ns + " leave a gap or overlap between " + BsonToShortJson(chunks[i].max) +
                                " and " + BsonToShortJson(chunks[i + 1].min));
    }
  }
  return Status::OK();
}

Status ParseShards(const ConfigDocuments& docs, Topology* topology) {
  for (const std::string& doc : docs.shards) {
    ASSIGN_OR_RETURN(ShardInfo shard, ParseShard(doc));
    topology->shards.push_back(std::move(shard));
  }
  return Status::OK();
}

Status ParseChunks(const ConfigDocuments& docs, std::string_view uuid, Topology* topology) {
  for (const std::string& doc : docs.chunks) {
    if (!ChunkBelongs(doc, topology->ns, uuid)) continue;
    ASSIGN_OR_RETURN(Chunk chunk, ParseChunk(doc, topology->key));
    if (topology->FindShard(chunk.shard) == nullptr) {
      return FailedPrecondition("a chunk of " + topology->ns + " names shard '" + chunk.shard +
                                "', which config.shards does not list");
    }
    topology->chunks.push_back(std::move(chunk));
  }
  std::sort(topology->chunks.begin(), topology->chunks.end(),
            [](const Chunk& a, const Chunk& b) { return CompareBounds(a.min, b.min) < 0; });
  return CheckCoverage(topology->ns, topology->chunks);
}

void FindPrimaryShard(const ConfigDocuments& docs, Topology* topology) {
  const std::string db = topology->ns.substr(0, topology->ns.find('.'));
  for (const std::string& doc : docs.databases) {
    std::string id;
    if (GetString(doc, "_id", &id) && id == db) GetString(doc, "primary", &topology->primary_shard);
  }
}

// Connection options that describe the entry server itself rather than how to reach a cluster.
bool IsEntryOnlyOption(std::string_view option) {
  std::string name(option.substr(0, option.find('=')));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::set<std::string> kEntryOnly = {"replicaset", "directconnection", "loadbalanced", "srvservicename",
                                                   "srvmaxhosts"};
  return kEntryOnly.count(name) > 0;
}

std::string KeptOptions(const std::string& entry, bool srv) {
  const size_t q = entry.find('?');
  std::string kept;
  bool has_tls = false;
  size_t pos = q == std::string::npos ? entry.size() : q + 1;
  while (pos < entry.size()) {
    const size_t amp = std::min(entry.find('&', pos), entry.size());
    const std::string_view option = std::string_view(entry).substr(pos, amp - pos);
    if (!option.empty() && !IsEntryOnlyOption(option)) {
      kept += (kept.empty() ? "" : "&") + std::string(option);
      has_tls |= option.starts_with("tls=") || option.starts_with("ssl=");
    }
    pos = amp + 1;
  }
  // mongodb+srv implies TLS; the plain URI we build must say so.
  if (srv && !has_tls) kept += std::string(kept.empty() ? "" : "&") + "tls=true";
  return kept;
}

}  // namespace

const ShardInfo* Topology::FindShard(const std::string& name) const {
  for (const ShardInfo& s : shards) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

StatusOr<ShardInfo> ParseShard(std::string_view bson) {
  ShardInfo shard;
  if (!GetString(bson, "_id", &shard.name) || !GetString(bson, "host", &shard.host) || shard.host.empty()) {
    return FailedPrecondition("config.shards document lacks a string _id or host: " + BsonToShortJson(bson));
  }
  return shard;
}

std::string ShardUri(const std::string& host, const std::string& entry_server_uri) {
  const bool srv = entry_server_uri.starts_with("mongodb+srv://");
  const size_t authority = entry_server_uri.find("://") + 3;
  const size_t authority_end = std::min(entry_server_uri.find('/', authority), entry_server_uri.find('?', authority));
  const size_t at = entry_server_uri.rfind('@', authority_end);
  const std::string userinfo =
      at != std::string::npos && at >= authority ? entry_server_uri.substr(authority, at - authority + 1) : "";
  const size_t slash = host.find('/');
  const std::string hosts = slash == std::string::npos ? host : host.substr(slash + 1);
  std::string options = KeptOptions(entry_server_uri, srv);
  if (slash != std::string::npos) options += (options.empty() ? "" : "&") + ("replicaSet=" + host.substr(0, slash));
  return "mongodb://" + userinfo + hosts + "/" + (options.empty() ? "" : "?" + options);
}

StatusOr<Topology> BuildTopology(const std::string& ns, const ConfigDocuments& docs) {
  Topology topology;
  topology.ns = ns;
  RETURN_IF_ERROR(ParseShards(docs, &topology));
  const std::string_view entry = FindCollectionEntry(ns, docs.collections);
  if (entry.empty() || GetBool(entry, "dropped")) {
    FindPrimaryShard(docs, &topology);
    return topology;
  }
  const std::string_view key = GetRaw(entry, "key", 0x03);
  if (key.empty()) return FailedPrecondition("config.collections entry of " + ns + " has no key pattern");
  ASSIGN_OR_RETURN(topology.key, ParseKeyPattern(key));
  topology.sharded = true;
  RETURN_IF_ERROR(ParseChunks(docs, GetRaw(entry, "uuid", 0x05), &topology));
  return topology;
}

namespace {

// Config reads that fail for lack of privileges mean "no visible sharding": reading through the
// entry URI is then correct (a mongos filters orphans itself), only not parallel per shard.
StatusOr<std::vector<std::string>> FindConfig(Client* entry, const char* coll, const bson_t* filter) {
  StatusOr<std::vector<std::string>> docs = FindAll(entry, "config", coll, filter);
  if (!docs.ok() && (docs.status().code() == StatusCode::kPermissionDenied ||
                     docs.status().code() == StatusCode::kUnauthenticated)) {
    spdlog::warn("cannot read config.{} ({}); treating the input as unsharded", coll, docs.status().message());
    return std::vector<std::string>();
  }
  return docs;
}

StatusOr<std::vector<std::string>> FindChunks(Client* entry, const std::string& ns, std::string_view collection_entry) {
  const std::string_view uuid = GetRaw(collection_entry, "uuid", 0x05);
  if (uuid.size() > 5) {
    ScopedBson by_uuid;
    bson_append_binary(by_uuid.get(), "uuid", 4, static_cast<bson_subtype_t>(uuid[4]),
                       reinterpret_cast<const uint8_t*>(uuid.data() + 5), static_cast<uint32_t>(uuid.size() - 5));
    ASSIGN_OR_RETURN(std::vector<std::string> chunks, FindConfig(entry, "chunks", by_uuid.get()));
    if (!chunks.empty()) return chunks;
  }
  ScopedBson by_ns;
  BSON_APPEND_UTF8(by_ns.get(), "ns", ns.c_str());
  return FindConfig(entry, "chunks", by_ns.get());
}

}  // namespace

StatusOr<Topology> ReadTopology(Client* entry, const std::string& database, const std::string& collection) {
  const std::string ns = database + "." + collection;
  ConfigDocuments docs;
  ScopedBson by_id, db_by_id;
  BSON_APPEND_UTF8(by_id.get(), "_id", ns.c_str());
  ASSIGN_OR_RETURN(docs.collections, FindConfig(entry, "collections", by_id.get()));
  if (!docs.collections.empty()) {
    ASSIGN_OR_RETURN(docs.chunks, FindChunks(entry, ns, docs.collections.front()));
  }
  ASSIGN_OR_RETURN(docs.shards, FindConfig(entry, "shards", nullptr));
  BSON_APPEND_UTF8(db_by_id.get(), "_id", database.c_str());
  ASSIGN_OR_RETURN(docs.databases, FindConfig(entry, "databases", db_by_id.get()));
  ASSIGN_OR_RETURN(Topology topology, BuildTopology(ns, docs));
  ASSIGN_OR_RETURN(topology.entry_is_mongos, IsMongos(entry));
  return topology;
}

std::string LayoutVersion(const Topology& topology) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  auto add = [state](std::string_view part) {
    const uint64_t size = part.size();  // length-prefixed: no two layouts serialize alike
    XXH3_64bits_update(state, &size, sizeof size);
    XXH3_64bits_update(state, part.data(), part.size());
  };
  add(topology.ns);
  add(topology.sharded ? "sharded" : "unsharded");
  add(topology.key.bson);
  for (const Chunk& c : topology.chunks) {
    add(c.min);
    add(c.max);
    add(c.shard);
  }
  add(topology.primary_shard);
  const uint64_t hash = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return std::to_string(topology.chunks.size()) + " chunks, version " + hex;
}

}  // namespace aviary::mongo
