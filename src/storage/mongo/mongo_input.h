// The input format for `mongodb://HOST:PORT/DB.COLL`: a collection, sharded or not.
//
// Splits (PlanSplits, on the coordinator): the topology is read through the URI (a mongos, or the
// config server of Aviary's local cluster; see topology.h).
//   - sharded: one split per shard that owns chunks, location = the shard's name, read
//     directly from the shard; with more map tasks wanted than shards, each shard's chunks are cut
//     into parts (split_plan.h).
//   - unsharded: one split, read through the URI; when the URI is a config server that names the
//     database's primary shard, read from that shard instead (and prefer it).
//   - a collection that exists nowhere: NotFound "collection db.coll does not exist on HOST".
// Records (ReadSplit, on a worker): find(query) on the split's server; documents whose shard key
// lies outside the shard's chunks are orphans, skipped and counted. Record::text() is the string
// at the text field (dotted path) or empty; Record::document() views the driver's buffer (no
// copy); Record::source() is {shard, "db.coll"}. Passthrough splits (out mode "reduce") read
// without ownership filtering.
//
// Thread safety: not thread-safe; one object per thread.
#ifndef AVIARY_STORAGE_MONGO_MONGO_INPUT_H_
#define AVIARY_STORAGE_MONGO_MONGO_INPUT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "storage/input.h"
#include "storage/mongo/mongo_split.pb.h"

namespace aviary::mongo {

struct MongoInputOptions {
  std::string text_field{kDefaultTextField};  // dotted path read into Record::text()
  std::string query_json;           // extended-JSON filter (--query); empty: every document
  int32_t batch_size = 10000;       // documents per getMore: fewer round trips on long scans
  int timeout_ms = 5000;            // server selection and connect timeout
};

// The MongoSplit in a split's payload (empty when it holds none).
MongoSplit MongoPayload(const rpc::InputSplit& split);

// InvalidArgument for a malformed URI or query (naming --query); no server is contacted here.
StatusOr<std::unique_ptr<InputFormat>> NewMongoInput(const std::string& uri, MongoInputOptions options);

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_MONGO_INPUT_H_
