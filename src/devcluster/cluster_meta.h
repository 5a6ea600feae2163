// The sharding metadata a local cluster keeps in its config server (the entry point), laid out as
// MongoDB 5.0+ does: config.shards {_id: name, host: "HOST:PORT"}. Readers of it use
// storage/mongo/topology.h.
//
// Thread safety: functions take the client they use; a client is used by one thread at a time.
#ifndef AVIARY_DEVCLUSTER_CLUSTER_META_H_
#define AVIARY_DEVCLUSTER_CLUSTER_META_H_

#include <mongoc/mongoc.h>

#include <string>
#include <vector>

#include "common/status.h"
#include "storage/mongo/topology.h"

namespace aviary::devcluster {

// Makes config.shards list exactly `shards` (upserts their hosts, removes other entries).
// `entry` names the server for messages.
Status RegisterShards(mongoc_client_t* client, const std::string& entry, const std::vector<mongo::ShardInfo>& shards);

}  // namespace aviary::devcluster

#endif  // AVIARY_DEVCLUSTER_CLUSTER_META_H_
