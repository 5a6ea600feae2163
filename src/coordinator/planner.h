// Planning: a submitted JobSpec becomes a Job with its map tasks (one per input split) and its
// reduce tasks (one per partition), its output prepared.
#ifndef AVIARY_COORDINATOR_PLANNER_H_
#define AVIARY_COORDINATOR_PLANNER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "coordinator/job_state.h"
#include "coordinator/tracker_options.h"

namespace aviary::coordinator {

// Fills in the spec's defaults, plans the input into splits and sets up the output. Errors (no
// plugin, missing input, an output that already holds a result, a bad URI) come back before
// anything runs. `live_slots` sizes the default map and reduce counts (the input source picks its own). The job is returned in
// kMapping, or in kReducing when the input is empty; its submit time is left to the caller.
StatusOr<std::unique_ptr<Job>> PlanJob(rpc::JobSpec spec, const std::string& job_id, uint32_t live_slots,
                                       const TrackerOptions& options, Env* env);

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_PLANNER_H_
