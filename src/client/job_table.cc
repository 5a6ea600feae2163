#include "client/job_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "client/job_report.h"
#include "rpc/job_states.h"

namespace aviary::client {
namespace {

std::string UtcTime(double unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

std::string Row(const rpc::JobStatus& job, double now_unix) {
  const double end = job.end_unix() > 0 ? job.end_unix() : now_unix;
  return fmt::format("{:<26} {:<10} {:<14} {:<19} {:>9.1f} {:>9} {:>9} {:>12} {:>12}\n", job.job_id(),
                     StateName(job.state()), job.spec().name(), UtcTime(job.submit_unix()),
                     std::max(0.0, end - job.submit_unix()),
                     fmt::format("{}/{}", job.maps_done(), job.maps_total()),
                     fmt::format("{}/{}", job.reduces_done(), job.reduces_total()), job.input_records(),
                     job.output_records());
}

}  // namespace

Status CheckJobFilter(const JobFilter& filter) {
  if (rpc::IsStateFilter(filter.state)) return Status::OK();
  return InvalidArgument("--state '" + filter.state + "' is not a job state; one of: " + rpc::StateFilterChoices());
}

std::string JobTable(std::vector<rpc::JobStatus> jobs, const JobFilter& filter, double now_unix) {
  std::stable_sort(jobs.begin(), jobs.end(), [](const rpc::JobStatus& a, const rpc::JobStatus& b) {
    return a.submit_unix() > b.submit_unix();
  });
  std::string out = fmt::format("{:<26} {:<10} {:<14} {:<19} {:>9} {:>9} {:>9} {:>12} {:>12}\n", "JOB", "STATE",
                                "NAME", "SUBMITTED (UTC)", "ELAPSED", "MAPS", "REDUCES", "IN RECORDS",
                                "OUT RECORDS");
  size_t shown = 0;
  for (const rpc::JobStatus& job : jobs) {
    if (!rpc::MatchesStateFilter(job.state(), filter.state)) continue;
    if (filter.limit != 0 && shown == filter.limit) break;
    out += Row(job, now_unix);
    ++shown;
  }
  if (shown == 0) out += "(no jobs)\n";
  return out;
}

}  // namespace aviary::client
