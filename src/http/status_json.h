// The web API's documents (docs/web-ui.md), rendered from the coordinator's status messages.
// Only rendering: what a job or worker is comes from the coordinator (status_report.h).
//
// Thread safety: pure functions.
#ifndef AVIARY_HTTP_STATUS_JSON_H_
#define AVIARY_HTTP_STATUS_JSON_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rpc/aviary.pb.h"
#include "rpc/job_states.h"

namespace aviary::http {

// /api/jobs: one summary per job, newest first, without tasks; `filter` as rpc::MatchesStateFilter.
nlohmann::json JobListJson(const std::vector<rpc::JobStatus>& jobs, const std::string& filter, double now_unix);
// /api/jobs/ID: everything in `job` (with its tasks) plus phases (start and end of map, reduce and
// commit), locality (which worker read which shard, orphans skipped) and counters as a map.
nlohmann::json JobDetailJson(const rpc::JobStatus& job, double now_unix);
// /api/workers: every worker with its heartbeat age and the attempts running on it, which are
// found in `jobs` (with tasks).
nlohmann::json WorkersJson(const rpc::ClusterStatusResponse& cluster, const std::vector<rpc::JobStatus>& jobs,
                           double now_unix);

// Serializes for HTTP; invalid UTF-8 in a plugin's error text is replaced, never thrown on.
std::string Dump(const nlohmann::json& doc);

}  // namespace aviary::http

#endif  // AVIARY_HTTP_STATUS_JSON_H_
