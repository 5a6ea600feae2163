// The coordinator's /metrics: jobs by state, tasks and attempts by state, records and bytes,
// shuffle bytes, spills, attempt durations, per-worker heartbeat age and slots, RPC errors and
// the lease. Computed from status messages at each scrape.
#ifndef AVIARY_HTTP_COORDINATOR_METRICS_H_
#define AVIARY_HTTP_COORDINATOR_METRICS_H_

#include <string>
#include <vector>

#include "http/status_source.h"
#include "rpc/aviary.pb.h"

namespace aviary::http {

// `jobs` with tasks.
std::string CoordinatorMetrics(const std::vector<rpc::JobStatus>& jobs, const rpc::ClusterStatusResponse& cluster,
                               const Leadership& leader, double now_unix);

}  // namespace aviary::http

#endif  // AVIARY_HTTP_COORDINATOR_METRICS_H_
