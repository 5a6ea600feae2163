// `aviary load`: documents into a sharded collection of a local cluster, the way MongoDB would
// have placed them: the key space is cut into chunks (recorded in the entry's config database)
// and each document goes to the shard that owns its key. Loading a namespace again replaces it.
#ifndef AVIARY_LOADER_LOAD_H_
#define AVIARY_LOADER_LOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "loader/load_input.h"
#include "common/status.h"

namespace aviary::loader {

struct LoadOptions {
  std::string into;  // mongodb://ENTRY/DB.COLL
  std::string shard_key;
  bool hashed = false;
  uint32_t chunks = 0;  // 0: two per shard
};

struct ShardLoad {
  std::string name;
  uint64_t documents = 0;
  uint32_t chunks = 0;
};

struct LoadReport {
  std::string ns;
  std::string entry;  // HOST:PORT
  uint64_t documents = 0;
  uint32_t chunks = 0;
  bool replaced = false;  // an earlier load of the namespace was dropped
  std::vector<ShardLoad> shards;
  double seconds = 0;
};

// Loads `docs` as `options` say. Errors: InvalidArgument for bad options or a document whose key
// cannot be a shard key ("FILE:LINE: ..."), FailedPrecondition when the entry lists no shards,
// Unavailable when a server cannot be reached.
StatusOr<LoadReport> LoadDocuments(const LoadOptions& options, const DocumentSet& docs);

// "loaded N documents from SOURCE into NS ..." and a line per shard.
std::string DescribeLoad(const LoadReport& report, const LoadOptions& options, const std::string& source);

}  // namespace aviary::loader

#endif  // AVIARY_LOADER_LOAD_H_
