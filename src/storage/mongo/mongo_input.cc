#include "storage/mongo/mongo_input.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "storage/mongo/bson_walk.h"
#include "storage/mongo/handles.h"
#include "storage/mongo/mongo_client.h"
#include "storage/mongo/ownership.h"
#include "storage/mongo/queries.h"
#include "storage/mongo/snapshot.h"
#include "storage/mongo/sort_limit.h"
#include "storage/mongo/split_plan.h"
#include "storage/mongo/topology.h"

namespace aviary::mongo {
namespace {

// The ownership state of one split: the shard's chunks and, when the shard is read in parts,
// this part's subset.
struct SplitFilters {
  std::optional<OwnershipFilter> shard;  // unset: keep every document (unsharded, passthrough)
  std::optional<OwnershipFilter> part;   // unset: the whole shard
  std::vector<ChunkBounds> part_chunks;
  KeyPattern key;
  // Every part of a shard sees the shard's orphans (a scan, or a range superset); part 0 alone
  // counts them, so the job's total stays the shard's orphan count.
  bool count_orphans = true;
};

StatusOr<SplitFilters> MakeFilters(const MongoSplit& m, bool passthrough) {
  SplitFilters f;
  if (passthrough || m.shard_key().empty()) return f;
  ASSIGN_OR_RETURN(f.key, ParseKeyPattern(m.shard_key()));
  std::vector<ChunkBounds> owned;
  for (const std::string& chunk : m.owned_chunks()) {
    BsonElement min, max;
    if (!FindPath(chunk.data(), chunk.size(), "min", &min) || !FindPath(chunk.data(), chunk.size(), "max", &max)) {
      return InvalidArgument("split of " + m.namespace_() + " carries a malformed chunk");
    }
    owned.push_back({std::string(min.payload, min.size), std::string(max.payload, max.size)});
  }
  ASSIGN_OR_RETURN(f.shard, OwnershipFilter::Create(f.key, owned));
  if (m.num_parts() > 1) {
    f.part_chunks = PartChunks(f.key, owned, m.part(), m.num_parts());
    ASSIGN_OR_RETURN(f.part, OwnershipFilter::Create(f.key, f.part_chunks));
    f.count_orphans = m.part() == 0;
  }
  return f;
}

// The split's query, narrowed to the part's key ranges when that helps.
void BuildFilter(const MongoSplit& m, const SplitFilters& f, ScopedBson* filter) {
  ScopedBson range;
  const bool ranged = f.part.has_value() && AppendRangeFilter(f.key, f.part_chunks, range.get());
  BsonView query(m.query());
  if (!ranged) {
    if (!m.query().empty()) bson_concat(filter->get(), query.get());
    return;
  }
  if (m.query().empty()) {
    bson_concat(filter->get(), range.get());
    return;
  }
  bson_t all;
  bson_append_array_begin(filter->get(), "$and", -1, &all);
  bson_append_document(&all, "0", -1, query.get());
  bson_append_document(&all, "1", -1, range.get());
  bson_append_array_end(filter->get(), &all);
}

// {$and: [filter, {_id: {$in: selected}}]}: a limited split reads only the chosen documents.
void RestrictToSelected(const MongoSplit& m, ScopedBson* filter) {
  ScopedBson restricted;
  bson_t all, item, id, in;
  bson_append_array_begin(restricted.get(), "$and", -1, &all);
  bson_append_document(&all, "0", -1, filter->get());
  bson_append_document_begin(&all, "1", -1, &item);
  bson_append_document_begin(&item, "_id", -1, &id);
  bson_append_array_begin(&id, "$in", -1, &in);
  for (int i = 0; i < m.selected_size(); ++i) {
    const std::string key = std::to_string(i);
    BsonView value(m.selected(i));
    bson_iter_t it;
    if (bson_iter_init_find(&it, value.get(), "_id")) bson_append_iter(&in, key.c_str(), -1, &it);
  }
  bson_append_array_end(&id, &in);
  bson_append_document_end(&item, &id);
  bson_append_document_end(&all, &item);
  bson_append_array_end(restricted.get(), &all);
  filter->Reset();
  bson_concat(filter->get(), restricted.get());
}

// The fields a planning read projects: sort key, _id and shard key, without a path that another
// one contains (MongoDB refuses a projection with colliding paths).
std::string PlanningProjection(const SortSpec& sort, const KeyPattern& key) {
  std::vector<std::string> paths = sort.fields;
  paths.push_back("_id");
  paths.insert(paths.end(), key.fields.begin(), key.fields.end());
  std::sort(paths.begin(), paths.end());
  ScopedBson doc;
  std::string last;
  for (const std::string& p : paths) {
    if (!last.empty() && (p == last || (p.size() > last.size() && p.compare(0, last.size(), last) == 0 && p[last.size()] == '.'))) continue;
    BSON_APPEND_INT32(doc.get(), p.c_str(), 1);
    last = p;
  }
  return std::string(doc.bytes());
}

// A find on `collection` (of `db`, through `client`), at the job's cluster time when it has one
// (snapshot.h). `collection` must outlive the cursor.
StatusOr<CursorPtr> OpenFind(Client* client, const std::string& db, mongoc_collection_t* collection, const bson_t* filter,
                             const bson_t* opts, ClusterTime time, const std::string& context) {
  if (time == 0) return CursorPtr(mongoc_collection_find_with_opts(collection, filter, opts, nullptr));
  bson_error_t error;
  CursorPtr cursor(FindAtClusterTime(client, db, mongoc_collection_get_name(collection), filter, opts, time, &error));
  if (!cursor) return CursorError(error, time, context);
  return cursor;
}

// The generic split around a payload: located at its shard.
rpc::InputSplit Wrap(const MongoSplit& m) {
  rpc::InputSplit split;
  split.set_location(m.shard());
  split.set_description(m.shard().empty() ? "" : "shard " + m.shard());
  split.set_payload(m.SerializeAsString());
  return split;
}

// {min, max} of a chunk, as MongoSplit.owned_chunks carries it.
std::string ChunkDocument(const Chunk& c) {
  ScopedBson doc;
  BsonView min(c.min), max(c.max);
  bson_append_document(doc.get(), "min", -1, min.get());
  bson_append_document(doc.get(), "max", -1, max.get());
  return std::string(doc.bytes());
}

// Text of the record: the string at `path`, else empty (a non-string field is not an error).
std::string_view TextField(const char* data, size_t size, std::string_view path) {
  BsonElement e;
  if (!FindPath(data, size, path, &e, /*through_arrays=*/true) || e.type != 0x02) return {};
  return std::string_view(e.payload + 4, e.size - 5);
}

class MongoInput : public InputFormat {
 public:
  MongoInput(CollectionUri uri, std::string query, SortSpec sort, int64_t limit, MongoInputOptions options)
      : uri_(std::move(uri)), query_(std::move(query)), sort_(std::move(sort)), limit_(limit), options_(std::move(options)) {}

  StatusOr<std::vector<rpc::InputSplit>> PlanSplits(const PlanContext& context) override;
  InputFootprint Footprint() const override {
    InputFootprint footprint;
    footprint.collections.push_back(CollectionKey(uri_));
    return footprint;
  }
  Status ReadSplit(const rpc::InputSplit& split, RecordSink* sink, InputStats* stats) override;
  std::string LayoutVersion() const override { return layout_; }
  Status CheckLayout(const std::string& version) override;
  std::string ReadConsistency() const override { return ConsistencyNote(probes_); }

 private:
  std::string ns() const { return uri_.database + "." + uri_.collection; }
  MongoSplit NewSplit(const std::string& shard, const std::string& shard_uri) const;
  std::vector<rpc::InputSplit> PlanSharded(const Topology& topology, uint32_t desired) const;
  StatusOr<std::vector<rpc::InputSplit>> PlanUnsharded(Client* entry, const Topology& topology) const;
  Status RefuseShardMember(Client* entry) const;
  // Probes every split's server for snapshot reads and, when all serve them, has every split
  // read at one cluster time (snapshot.h).
  Status ChooseReadTime(std::vector<rpc::InputSplit>* splits);
  StatusOr<bool> ShardedInCluster(const ShardIdentity& identity) const;
  // --limit: chooses the documents and narrows every split to its shard's chosen ones.
  Status SelectLimited(std::vector<rpc::InputSplit>* splits) const;
  // A shard's first limit_ owned documents matching the query in sort order (projected).
  StatusOr<std::vector<std::string>> ShardFirstDocuments(const MongoSplit& m) const;
  // The hot loop: every document of the cursor through the filters into the sink.
  Status ReadDocuments(mongoc_cursor_t* cursor, ClusterTime read_time, SplitFilters* filters,
                       const RecordSource& source, RecordSink* sink, InputStats* stats) const;

  const CollectionUri uri_;
  const std::string query_;  // BSON; empty: no filter
  const SortSpec sort_;      // no fields: _id order
  const int64_t limit_;      // 0: every document
  const MongoInputOptions options_;
  std::string layout_;  // of the topology PlanSplits read
  std::vector<SnapshotProbe> probes_;  // one per server the splits read
};

MongoSplit MongoInput::NewSplit(const std::string& shard, const std::string& shard_uri) const {
  MongoSplit m;
  m.set_shard(shard);
  m.set_shard_uri(shard_uri);
  m.set_namespace_(ns());
  m.set_query(query_);
  m.set_entry_uri(uri_.server_uri);
  return m;
}

std::vector<rpc::InputSplit> MongoInput::PlanSharded(const Topology& topology, uint32_t desired) const {
  std::vector<const ShardInfo*> owners;
  for (const ShardInfo& shard : topology.shards) {
    for (const Chunk& c : topology.chunks) {
      if (c.shard == shard.name) {
        owners.push_back(&shard);
        break;
      }
    }
  }
  const uint32_t wanted = owners.empty() ? 1 : (desired + static_cast<uint32_t>(owners.size()) - 1) / static_cast<uint32_t>(owners.size());
  std::vector<rpc::InputSplit> splits;
  for (const ShardInfo* shard : owners) {
    MongoSplit m = NewSplit(shard->name, ShardUri(shard->host, uri_.server_uri));
    m.set_shard_key(topology.key.bson);
    m.set_hashed(topology.key.hashed());
    size_t num_chunks = 0;
    for (const Chunk& c : topology.chunks) {
      if (c.shard != shard->name) continue;
      m.add_owned_chunks(ChunkDocument(c));
      ++num_chunks;
    }
    const uint32_t parts = PossibleParts(topology.key, num_chunks, wanted);
    for (uint32_t part = 0; part < parts; ++part) {
      m.set_part(part);
      m.set_num_parts(parts);
      splits.push_back(Wrap(m));
    }
  }
  return splits;
}

StatusOr<std::vector<rpc::InputSplit>> MongoInput::PlanUnsharded(Client* entry, const Topology& topology) const {
  // Through a mongos, or on a plain server, read where we are. A config server of the local
  // cluster holds no data: go to the database's primary shard, as mongos would.
  const ShardInfo* primary = topology.entry_is_mongos ? nullptr : topology.FindShard(topology.primary_shard);
  std::unique_ptr<Client> shard_client;
  Client* reader = entry;
  std::string read_uri = uri_.server_uri;
  if (primary != nullptr) {
    read_uri = ShardUri(primary->host, uri_.server_uri);
    ASSIGN_OR_RETURN(shard_client, Client::Connect(read_uri, options_.timeout_ms));
    reader = shard_client.get();
  }
  ASSIGN_OR_RETURN(const bool exists, CollectionExists(reader, uri_.database, uri_.collection));
  if (!exists) return NotFound("collection " + ns() + " does not exist on " + RedactUri(read_uri));
  std::vector<rpc::InputSplit> splits;
  splits.push_back(Wrap(NewSplit(primary != nullptr ? primary->name : "", read_uri)));
  return splits;
}

// Whether the cluster whose config server `identity` names has `ns()` in config.collections.
StatusOr<bool> MongoInput::ShardedInCluster(const ShardIdentity& identity) const {
  ASSIGN_OR_RETURN(std::unique_ptr<Client> config,
                   Client::Connect("mongodb://" + identity.config_server + "/", options_.timeout_ms));
  ScopedBson filter;
  BSON_APPEND_UTF8(filter.get(), "_id", ns().c_str());
  ASSIGN_OR_RETURN(std::vector<std::string> docs, FindAll(config.get(), "config", "collections", filter.get()));
  return !docs.empty();
}

// A server without config data may still be one shard of a cluster: reading it would see that
// shard's documents alone (and its orphans), a silently partial input. Refused, naming the fix.
Status MongoInput::RefuseShardMember(Client* entry) const {
  ASSIGN_OR_RETURN(std::optional<ShardIdentity> identity, ReadShardIdentity(entry));
  if (!identity) return Status::OK();
  // An unsharded collection lives whole on its primary shard: reading it there is complete.
  if (StatusOr<bool> sharded = ShardedInCluster(*identity); sharded.ok() && !*sharded) return Status::OK();
  return InvalidArgument("--input " + RedactUri(uri_.server_uri) + " is shard '" + identity->shard_name +
                         "' of a sharded cluster (config server " + identity->config_server +
                         "): reading it would see that shard's documents only; give the cluster's entry URI "
                         "(its mongos, or the config server of a local cluster) instead");
}

StatusOr<std::vector<rpc::InputSplit>> MongoInput::PlanSplits(const PlanContext& context) {
  ASSIGN_OR_RETURN(std::unique_ptr<Client> entry, Client::Connect(uri_.server_uri, options_.timeout_ms));
  ASSIGN_OR_RETURN(Topology topology, ReadTopology(entry.get(), uri_.database, uri_.collection));
  if (!topology.entry_is_mongos && topology.shards.empty()) RETURN_IF_ERROR(RefuseShardMember(entry.get()));
  layout_ = mongo::LayoutVersion(topology);
  std::vector<rpc::InputSplit> splits;
  if (topology.sharded) {
    splits = PlanSharded(topology, context.map_tasks);
  } else {
    ASSIGN_OR_RETURN(splits, PlanUnsharded(entry.get(), topology));
  }
  RETURN_IF_ERROR(ChooseReadTime(&splits));
  if (limit_ > 0) RETURN_IF_ERROR(SelectLimited(&splits));
  return splits;
}

Status MongoInput::ChooseReadTime(std::vector<rpc::InputSplit>* splits) {
  std::map<std::string, std::string> servers;  // URI -> what the note calls it
  for (const rpc::InputSplit& split : *splits) {
    const MongoSplit m = MongoPayload(split);
    const std::string uri = !m.shard_uri().empty() ? m.shard_uri() : uri_.server_uri;
    servers.emplace(uri, m.shard().empty() ? RedactUri(uri) : "shard " + m.shard());
  }
  probes_.clear();
  for (const auto& [uri, name] : servers) {
    ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Client::Connect(uri, options_.timeout_ms));
    probes_.push_back(ProbeSnapshot(client.get(), name, uri_.database, uri_.collection));
  }
  const std::optional<ClusterTime> read_time = CommonReadTime(probes_);
  if (!read_time) return Status::OK();  // each server's own time
  for (rpc::InputSplit& split : *splits) {
    MongoSplit m = MongoPayload(split);
    m.set_at_cluster_time(*read_time);
    split.set_payload(m.SerializeAsString());
  }
  return Status::OK();
}

Status MongoInput::CheckLayout(const std::string& version) {
  ASSIGN_OR_RETURN(std::unique_ptr<Client> entry, Client::Connect(uri_.server_uri, options_.timeout_ms));
  ASSIGN_OR_RETURN(Topology topology, ReadTopology(entry.get(), uri_.database, uri_.collection));
  const std::string now = mongo::LayoutVersion(topology);
  if (now == version) return Status::OK();
  // The shards were read at different times (no snapshot across shards): with ownership from
  // the old chunk table, moved documents may have been read twice or not at all.
  return Aborted("the chunks of " + ns() + " changed while the job read it (planned on " + version + "; now " + now +
                 "): a chunk migration can make a result count documents twice or miss them, so none was kept; "
                 "run the job again");
}

StatusOr<std::vector<std::string>> MongoInput::ShardFirstDocuments(const MongoSplit& m) const {
  MongoSplit whole = m;
  whole.set_num_parts(1);  // the shard's chunks, not one part's
  whole.set_part(0);
  ASSIGN_OR_RETURN(SplitFilters filters, MakeFilters(whole, /*passthrough=*/false));
  const std::string server = !m.shard_uri().empty() ? m.shard_uri() : uri_.server_uri;
  ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Client::Connect(server, options_.timeout_ms));
  ScopedBson filter, opts;
  BsonView query(query_);
  if (!query_.empty()) bson_concat(filter.get(), query.get());
  const std::string sort = SortDocument(sort_), projection = PlanningProjection(sort_, filters.key);
  BsonView sort_view(sort), projection_view(projection);
  bson_append_document(opts.get(), "sort", -1, sort_view.get());
  bson_append_document(opts.get(), "projection", -1, projection_view.get());
  BSON_APPEND_INT32(opts.get(), "batchSize", static_cast<int32_t>(std::min<int64_t>(limit_ + 1, options_.batch_size)));
  CollectionPtr collection(mongoc_client_get_collection(client->get(), uri_.database.c_str(), uri_.collection.c_str()));
  const std::string context =
      "choosing the first " + std::to_string(limit_) + " documents of " + ns() + " on " + client->redacted_uri();
  ASSIGN_OR_RETURN(CursorPtr cursor, OpenFind(client.get(), uri_.database, collection.get(), filter.get(), opts.get(),
                                              m.at_cluster_time(), context));
  // No server-side limit: the shard's orphans come out of the cursor too and must not count.
  ShardFirst first(&sort_, limit_);
  const bson_t* doc = nullptr;
  while (!first.Done() && mongoc_cursor_next(cursor.get(), &doc)) {
    const char* data = reinterpret_cast<const char*>(bson_get_data(doc));
    if (filters.shard && !filters.shard->Owns(data, doc->len)) continue;  // an orphan
    first.Add(std::string(data, doc->len));
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return CursorError(error, m.at_cluster_time(), context);
  }
  return first.Take();
}

Status MongoInput::SelectLimited(std::vector<rpc::InputSplit>* splits) const {
  // One planning read per shard (its first split stands for all its parts).
  std::map<std::string, size_t> shard_index;
  std::vector<MongoSplit> payloads;
  std::vector<Candidate> candidates;
  for (const rpc::InputSplit& split : *splits) {
    MongoSplit m = MongoPayload(split);
    if (!shard_index.emplace(m.shard(), payloads.size()).second) continue;
    ASSIGN_OR_RETURN(std::vector<std::string> docs, ShardFirstDocuments(m));
    for (std::string& d : docs) candidates.push_back({std::move(d), payloads.size()});
    payloads.push_back(std::move(m));
  }
  std::vector<std::vector<std::string>> chosen(payloads.size());
  for (Candidate& c : FirstInOrder(sort_, std::move(candidates), limit_)) chosen[c.shard].push_back(std::move(c.doc));
  for (rpc::InputSplit& split : *splits) {
    MongoSplit m = MongoPayload(split);
    m.set_limited(true);
    for (const std::string& d : chosen[shard_index.at(m.shard())]) m.add_selected(d);
    split.set_payload(m.SerializeAsString());
  }
  return Status::OK();
}

Status MongoInput::ReadSplit(const rpc::InputSplit& split, RecordSink* sink, InputStats* stats) {
  MongoSplit m;
  if (!m.ParseFromString(split.payload())) return InvalidArgument("split " + std::to_string(split.index()) + " carries no MongoDB payload");
  const std::string& ns = m.namespace_().empty() ? this->ns() : m.namespace_();
  const size_t dot = ns.find('.');
  if (dot == std::string::npos) return InvalidArgument("split names no collection: '" + ns + "'");
  const std::string server = !m.shard_uri().empty() ? m.shard_uri() : !m.entry_uri().empty() ? m.entry_uri() : uri_.server_uri;
  ASSIGN_OR_RETURN(SplitFilters filters, MakeFilters(m, split.passthrough()));
  ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Client::Connect(server, options_.timeout_ms));

  if (m.limited() && m.selected_size() == 0 && !split.passthrough()) return Status::OK();  // none chosen here
  ScopedBson filter, opts;
  BuildFilter(m, filters, &filter);
  if (m.limited() && !split.passthrough()) RestrictToSelected(m, &filter);
  BSON_APPEND_INT32(opts.get(), "batchSize", options_.batch_size);
  const std::string db = ns.substr(0, dot);
  CollectionPtr collection(mongoc_client_get_collection(client->get(), db.c_str(), ns.substr(dot + 1).c_str()));
  ASSIGN_OR_RETURN(CursorPtr cursor, OpenFind(client.get(), db, collection.get(), filter.get(), opts.get(),
                                              m.at_cluster_time(), "reading " + ns + " on " + client->redacted_uri()));
  RecordSource source;
  source.shard = m.shard();
  source.collection = ns;
  const Status s = ReadDocuments(cursor.get(), m.at_cluster_time(), &filters, source, sink, stats);
  return s.ok() ? s : s.WithContext("reading " + ns + " on " + client->redacted_uri());
}

Status MongoInput::ReadDocuments(mongoc_cursor_t* cursor, ClusterTime read_time, SplitFilters* filters,
                                 const RecordSource& source, RecordSink* sink, InputStats* stats) const {
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor, &doc)) {
    const char* data = reinterpret_cast<const char*>(bson_get_data(doc));
    const size_t size = doc->len;
    if (filters->shard && !filters->shard->Owns(data, size)) {
      stats->orphans_skipped += filters->count_orphans ? 1 : 0;
      continue;
    }
    if (filters->part && !filters->part->Owns(data, size)) continue;  // a sibling part reads it
    ++stats->records;
    stats->bytes += size;
    const DocumentView view(data, size);
    if (!sink->OnRecord(Record(TextField(data, size, options_.text_field), &view, source))) return sink->status();
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor, &error)) return CursorError(error, read_time, "cursor failed");
  return Status::OK();
}

}  // namespace

MongoSplit MongoPayload(const rpc::InputSplit& split) {
  MongoSplit m;
  if (!m.ParseFromString(split.payload())) m.Clear();
  return m;
}

namespace {

// Extended JSON to BSON bytes; InvalidArgument naming `flag` when it does not parse.
StatusOr<std::string> JsonDocument(const std::string& json, const std::string& flag) {
  bson_error_t error;
  BsonPtr doc(bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()), static_cast<ssize_t>(json.size()), &error));
  if (!doc) return InvalidArgument(flag + " is not a valid JSON document: " + std::string(error.message));
  return std::string(BsonBytes(doc.get()));
}

struct ParsedOptions {
  std::string query;  // BSON; empty: none
  SortSpec sort;
  int64_t limit = 0;
};

StatusOr<ParsedOptions> ParseOptions(const MongoInputOptions& options) {
  ParsedOptions parsed;
  if (!options.query_json.empty()) {
    ASSIGN_OR_RETURN(parsed.query, JsonDocument(options.query_json, "--query"));
  }
  if (!options.sort_json.empty()) {
    ASSIGN_OR_RETURN(const std::string sort, JsonDocument(options.sort_json, "--sort"));
    ASSIGN_OR_RETURN(parsed.sort, ParseSort(sort));
  }
  if (!options.limit.empty()) {
    ASSIGN_OR_RETURN(parsed.limit, ParseLimit(options.limit));
  }
  return parsed;
}

}  // namespace

Status CheckMongoInputOptions(const MongoInputOptions& options) { return ParseOptions(options).status(); }

StatusOr<std::unique_ptr<InputFormat>> NewMongoInput(const std::string& uri, MongoInputOptions options) {
  ASSIGN_OR_RETURN(CollectionUri parsed, ParseCollectionUri(uri));
  ASSIGN_OR_RETURN(ParsedOptions o, ParseOptions(options));
  if (options.text_field.empty()) options.text_field = kDefaultTextField;
  if (options.batch_size <= 0) options.batch_size = 10000;
  return std::unique_ptr<InputFormat>(
      new MongoInput(std::move(parsed), std::move(o.query), std::move(o.sort), o.limit, std::move(options)));
}

}  // namespace aviary::mongo
