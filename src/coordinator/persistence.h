// Persistence: jobs and workers as the records kept in the metadata store (rpc::JobRecord,
// rpc::WorkerRecord), so that a standby coordinator can carry on with them.
#ifndef AVIARY_COORDINATOR_PERSISTENCE_H_
#define AVIARY_COORDINATOR_PERSISTENCE_H_

#include <cstdint>
#include <memory>

#include "common/status.h"
#include "coordinator/job_state.h"

namespace aviary::coordinator {

rpc::JobRecord ToRecord(const Job& job);

// The job a record describes, without its output (the caller opens it). Running attempts get a
// full timeout again from monotonic `now_us`; a commit that was under way is to be redone
// (outputs make CommitJob safe to repeat), an abort likewise. An error for a record this version
// cannot read.
StatusOr<std::unique_ptr<Job>> FromRecord(const rpc::JobRecord& record, int64_t now_us);

rpc::WorkerRecord ToRecord(const Worker& worker);
// Restored workers count as alive until their timeout, from `now_us`, runs out.
std::unique_ptr<Worker> FromRecord(const rpc::WorkerRecord& record, int64_t now_us, double now_unix);

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_PERSISTENCE_H_
