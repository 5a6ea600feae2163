// A job's engine counters (rpc::TaskCounters) summed over its tasks, and MongoDB's mapReduce
// reply figures (counts and per-phase timing) derived from them.
#ifndef AVIARY_COORDINATOR_JOB_COUNTERS_H_
#define AVIARY_COORDINATOR_JOB_COUNTERS_H_

#include "coordinator/job_state.h"
#include "rpc/aviary.pb.h"

namespace aviary::coordinator {

// Adds `from` to `into`: every count and cpu_seconds are summed, peak_rss_bytes is the larger.
void AddCounters(const rpc::TaskCounters& from, rpc::TaskCounters* into);

// Over the winning attempts of finished tasks only: what the job's result is made of.
rpc::TaskCounters JobTotals(const Job& job);

// JobTotals() plus, for each task without a winner, the counters so far of its running attempt
// that has read the most: moves while tasks run, equals JobTotals() once they are done.
rpc::TaskCounters JobProgress(const Job& job);

// MongoDB's counts {input, emit, reduce, output} from `totals`, and the timing of each phase
// from the attempts' times (time_millis and commit_millis once the job has ended).
rpc::MapReduceCounts MongoCounts(const Job& job, const rpc::TaskCounters& totals);

// The counters an attempt shows: its result's once it has ended, else the latest it reported.
const rpc::TaskCounters& AttemptCounters(const Attempt& attempt);

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_JOB_COUNTERS_H_
