#include "storage/mongo/mongo_input.h"

#include <optional>
#include <utility>
#include <vector>

#include "storage/mongo/bson_walk.h"
#include "storage/mongo/handles.h"
#include "storage/mongo/mongo_client.h"
#include "storage/mongo/ownership.h"
#include "storage/mongo/queries.h"
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
  MongoInput(CollectionUri uri, std::string query, MongoInputOptions options)
      : uri_(std::move(uri)), query_(std::move(query)), options_(std::move(options)) {}

  StatusOr<std::vector<rpc::InputSplit>> PlanSplits(const PlanContext& context) override;
  Status ReadSplit(const rpc::InputSplit& split, RecordSink* sink, InputStats* stats) override;

 private:
  std::string ns() const { return uri_.database + "." + uri_.collection; }
  MongoSplit NewSplit(const std::string& shard, const std::string& shard_uri) const;
  std::vector<rpc::InputSplit> PlanSharded(const Topology& topology, uint32_t desired) const;
  StatusOr<std::vector<rpc::InputSplit>> PlanUnsharded(Client* entry, const Topology& topology) const;
  // The hot loop: every document of the cursor through the filters into the sink.
  Status ReadDocuments(mongoc_cursor_t* cursor, SplitFilters* filters, const RecordSource& source, RecordSink* sink,
                       InputStats* stats) const;

  const CollectionUri uri_;
  const std::string query_;  // BSON; empty: no filter
  const MongoInputOptions options_;
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

StatusOr<std::vector<rpc::InputSplit>> MongoInput::PlanSplits(const PlanContext& context) {
  ASSIGN_OR_RETURN(std::unique_ptr<Client> entry, Client::Connect(uri_.server_uri, options_.timeout_ms));
  ASSIGN_OR_RETURN(Topology topology, ReadTopology(entry.get(), uri_.database, uri_.collection));
  if (!topology.sharded) return PlanUnsharded(entry.get(), topology);
  return PlanSharded(topology, context.map_tasks);
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

  ScopedBson filter, opts;
  BuildFilter(m, filters, &filter);
  BSON_APPEND_INT32(opts.get(), "batchSize", options_.batch_size);
  CollectionPtr collection(
      mongoc_client_get_collection(client->get(), ns.substr(0, dot).c_str(), ns.substr(dot + 1).c_str()));
  CursorPtr cursor(mongoc_collection_find_with_opts(collection.get(), filter.get(), opts.get(), nullptr));
  RecordSource source;
  source.shard = m.shard();
  source.collection = ns;
  const Status s = ReadDocuments(cursor.get(), &filters, source, sink, stats);
  return s.ok() ? s : s.WithContext("reading " + ns + " on " + client->redacted_uri());
}

Status MongoInput::ReadDocuments(mongoc_cursor_t* cursor, SplitFilters* filters, const RecordSource& source,
                                 RecordSink* sink, InputStats* stats) const {
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
  if (mongoc_cursor_error(cursor, &error)) return StatusFromBsonError(error, "cursor failed");
  return Status::OK();
}

}  // namespace

MongoSplit MongoPayload(const rpc::InputSplit& split) {
  MongoSplit m;
  if (!m.ParseFromString(split.payload())) m.Clear();
  return m;
}

StatusOr<std::unique_ptr<InputFormat>> NewMongoInput(const std::string& uri, MongoInputOptions options) {
  ASSIGN_OR_RETURN(CollectionUri parsed, ParseCollectionUri(uri));
  std::string query;
  if (!options.query_json.empty()) {
    bson_error_t error;
    BsonPtr doc(bson_new_from_json(reinterpret_cast<const uint8_t*>(options.query_json.data()),
                                   static_cast<ssize_t>(options.query_json.size()), &error));
    if (!doc) return InvalidArgument("--query is not a valid JSON document: " + std::string(error.message));
    query.assign(BsonBytes(doc.get()));
  }
  if (options.text_field.empty()) options.text_field = kDefaultTextField;
  if (options.batch_size <= 0) options.batch_size = 10000;
  return std::unique_ptr<InputFormat>(new MongoInput(std::move(parsed), std::move(query), std::move(options)));
}

}  // namespace aviary::mongo
