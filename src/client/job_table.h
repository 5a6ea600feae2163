// `aviary jobs`: the coordinator's jobs as one compact table, newest first, like
// `mapred job -list`, with filters by state and a row limit.
#ifndef AVIARY_CLIENT_JOB_TABLE_H_
#define AVIARY_CLIENT_JOB_TABLE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "common/status.h"
#include "rpc/aviary.pb.h"

namespace aviary::client {

struct JobFilter {
  // As rpc::MatchesStateFilter: "" or "all", "running" (not ended), "finished", or a state name.
  std::string state;
  size_t limit = 0;  // 0: no limit
};

// Refuses a state that names no job state, listing the ones it takes.
Status CheckJobFilter(const JobFilter& filter);

// The jobs that pass `filter`, newest first, as aligned columns with a header line;
// `now_unix` dates the elapsed time of running jobs.
std::string JobTable(std::vector<rpc::JobStatus> jobs, const JobFilter& filter, double now_unix);

}  // namespace aviary::client

#endif  // AVIARY_CLIENT_JOB_TABLE_H_
