// Status reports: what clients see of jobs (rpc::JobStatus, printed by `aviary status`) and of
// workers (rpc::WorkerInfo, printed by `aviary cluster status`).
//
// Thread safety: none; REQUIRES the caller's lock on the state.
#ifndef AVIARY_COORDINATOR_STATUS_REPORT_H_
#define AVIARY_COORDINATOR_STATUS_REPORT_H_

#include "coordinator/job_state.h"

namespace aviary::coordinator {

// `job` as clients see it: counts, counters, per-shard reports and, `with_tasks`, every task
// and attempt. URIs are redacted.
void FillStatus(const Job& job, bool with_tasks, rpc::JobStatus* out);

// The attempt's own fields (number, worker, state, error, times), the part of AttemptStatus
// that the metadata store keeps too (persistence.h).
void FillAttemptFields(const Attempt& attempt, rpc::AttemptStatus* out);

void FillWorkerInfo(const Worker& worker, rpc::WorkerInfo* out);

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_STATUS_REPORT_H_
