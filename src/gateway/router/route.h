// Which shard of the local cluster owns a document, by the collection's chunk table: the
// gateway's `--route-by-chunks` mode plays mongos's part for Aviary's local cluster only
// (against a real cluster the upstream mongos routes). Ownership is storage/mongo's own code:
// the topology from ReadTopology/BuildTopology and one OwnershipFilter per shard, the same
// filter the map tasks use to skip orphans.
//
// Thread safety: a Route holds scratch state (OwnershipFilter); one thread at a time. The
// Topology it points to is immutable and shared.
#ifndef AVIARY_GATEWAY_ROUTER_ROUTE_H_
#define AVIARY_GATEWAY_ROUTER_ROUTE_H_

#include <bson/bson.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/mongo/ownership.h"
#include "storage/mongo/topology.h"

namespace aviary::gateway::router {

class Route {
 public:
  // REQUIRES: topology->sharded. InvalidArgument when its chunk bounds do not match its key.
  static StatusOr<Route> Create(std::shared_ptr<const mongo::Topology> topology);

  const mongo::Topology& topology() const { return *topology_; }
  size_t num_shards() const { return owners_.size(); }

  // Whether shard `shard` (an index into topology().shards) owns the document (BSON bytes).
  bool Owns(size_t shard, std::string_view doc);
  // The index of the shard owning the document; -1 when no chunk covers its key (metadata
  // that does not cover the key space).
  int ShardOf(std::string_view doc);

  // The shard that owns every document `query` can match, when the query pins each shard key
  // field to one value by equality ({key: v} or {key: {$eq: v}}, top-level fields only); -1
  // otherwise (the query must go to every shard).
  int ShardOfQuery(const bson_t* query);

  // The shard key's top-level field names (what a projection must keep to filter orphans).
  std::vector<std::string> KeyTopFields() const;

 private:
  explicit Route(std::shared_ptr<const mongo::Topology> t) : topology_(std::move(t)) {}

  std::shared_ptr<const mongo::Topology> topology_;
  std::vector<mongo::OwnershipFilter> owners_;  // one per topology_->shards entry
};

// The value `query` pins top-level `field` to by equality, as a one-field document {field: v}
// appended to `out`; false when it does not.
bool AppendEquality(const bson_t* query, const std::string& field, bson_t* out);

}  // namespace aviary::gateway::router

#endif  // AVIARY_GATEWAY_ROUTER_ROUTE_H_
