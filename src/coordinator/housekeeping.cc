#include "coordinator/housekeeping.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace aviary::coordinator {
namespace {

// Only ended jobs: one still failing or cancelling has temporary output left to remove.
bool Ended(const Job& job) {
  return job.phase == JobPhase::kSucceeded || job.phase == JobPhase::kFailed || job.phase == JobPhase::kCancelled;
}

bool Expired(const Job& job, int64_t retention_us, double now_unix) {
  if (retention_us <= 0 || !Ended(job) || job.end_unix <= 0) return false;
  return (now_unix - job.end_unix) * 1e6 > static_cast<double>(retention_us);
}

void DropJobs(ClusterState& state, const TrackerOptions& options, double now_unix, Dropped* out) {
  std::set<std::string> dropped_plugins;
  for (auto it = state.jobs.begin(); it != state.jobs.end();) {
    const Job& job = *it->second;
    if (!Expired(job, options.job_retention_us, now_unix)) {
      ++it;
      continue;
    }
    spdlog::info("job {}: dropped, {:.0f} s after it ended", job.id, now_unix - job.end_unix);
    out->jobs.push_back(job.id);
    if (std::string spool = job.InlineSpoolDir(); !spool.empty()) out->inline_spools.push_back(std::move(spool));
    if (!job.spec.plugin_sha256().empty()) dropped_plugins.insert(job.spec.plugin_sha256());
    state.dirty_jobs.erase(job.id);
    for (auto& [id, worker] : state.workers) worker->cleaned_jobs.erase(job.id);
    it = state.jobs.erase(it);
  }
  if (out->jobs.empty()) return;
  std::erase_if(state.job_order, [&state](const std::string& id) { return state.jobs.count(id) == 0; });
  for (const auto& [id, job] : state.jobs) dropped_plugins.erase(job->spec.plugin_sha256());
  out->unused_plugins = std::move(dropped_plugins);
}

void DropWorkers(ClusterState& state, const TrackerOptions& options, int64_t now_us, Dropped* out) {
  if (options.dead_worker_retention_us <= 0) return;
  for (auto it = state.workers.begin(); it != state.workers.end();) {
    const Worker& w = *it->second;
    if (w.alive || now_us - w.dead_since_us <= options.dead_worker_retention_us) {
      ++it;
      continue;
    }
    spdlog::info("worker {} at {}: removed from the worker list, dead for {} s", w.id, w.info.address(),
                 (now_us - w.dead_since_us) / 1'000'000);
    out->workers.push_back(w.id);
    state.dirty_workers.erase(w.id);
    it = state.workers.erase(it);
  }
}

}  // namespace

Dropped DropExpired(ClusterState& state, const TrackerOptions& options, int64_t now_us, double now_unix) {
  Dropped out;
  DropJobs(state, options, now_unix, &out);
  DropWorkers(state, options, now_us, &out);
  return out;
}

}  // namespace aviary::coordinator
