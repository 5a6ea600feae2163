// Ids of jobs and workers, unique across coordinator restarts and takeovers.
//
// Thread safety: REQUIRES the caller to serialize calls on the same ClusterState.
#ifndef AVIARY_COORDINATOR_IDS_H_
#define AVIARY_COORDINATOR_IDS_H_

#include <string>

#include "common/env.h"
#include "coordinator/job_state.h"

namespace aviary::coordinator {

// "job-YYYYmmdd-HHMMSS-<n><4 hex>": the UTC time from `env`'s wall clock, a counter, randomness.
std::string NewJobId(Env& env, ClusterState& state);
// "w<n>-<4 hex>", never one of the workers already in `state` (restored ones included).
std::string NewWorkerId(ClusterState& state);

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_IDS_H_
