// `aviary cluster status`: what DIR/cluster.json records, checked against reality (is each pid
// still that process, does the coordinator answer, has each worker registered).
#ifndef AVIARY_DEVCLUSTER_CLUSTER_STATUS_H_
#define AVIARY_DEVCLUSTER_CLUSTER_STATUS_H_

#include <nlohmann/json.hpp>

#include <string>

#include "devcluster/cluster_state.h"

namespace aviary::devcluster {

// {dir, entry, running, logs, config_server{uri,pid,alive,log},
//  shards[{name,uri,pid,alive,worker,data_dir,log}],
//  coordinators[{address,pid,alive,answers,active,term,log}],
//  workers[{address,pid,alive,registered,shard,data_dir,log}]}.
// `running` is true when every process is alive, the coordinator answers and every worker is
// registered with it.
nlohmann::ordered_json ClusterStatusJson(const ClusterState& state);

// The same, for people: one line per process.
std::string DescribeClusterStatus(const nlohmann::ordered_json& status);

}  // namespace aviary::devcluster

#endif  // AVIARY_DEVCLUSTER_CLUSTER_STATUS_H_
