#include "coordinator/scheduler.h"

#include <algorithm>

namespace aviary::coordinator {

LiveWorkers::LiveWorkers(const std::map<std::string, std::unique_ptr<Worker>>& workers) {
  for (const auto& [id, w] : workers) {  // std::map: ids come sorted
    if (!w->alive) continue;
    ids_.push_back(id);
    by_shard_[w->info.location()].push_back(id);
  }
}

bool LiveWorkers::AnyUsable(const Task& task) const {
  // failed_on is short (at most max_attempts ids): count how many of them are live.
  size_t failed_live = 0;
  for (const std::string& id : task.failed_on) {
    failed_live += std::binary_search(ids_.begin(), ids_.end(), id);
  }
  return ids_.size() > failed_live;
}

bool LiveWorkers::ShardHasUsable(const std::string& shard, const Task& task) const {
  auto it = by_shard_.find(shard);
  if (it == by_shard_.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(),
                     [&](const std::string& id) { return !task.failed_on.count(id); });
}

namespace {

// Idle, and not failed on this worker unless no other live worker could take it.
bool Eligible(const Task& task, const Worker& worker, const LiveWorkers& live) {
  if (task.state != rpc::IDLE) return false;
  if (!task.failed_on.count(worker.id)) return true;
  // The worker itself is live and failed the task; any other usable one means "not here".
  return !live.AnyUsable(task);
}

Task* PickMap(Job& job, const Worker& worker, const LiveWorkers& live) {
  // Data locality first: a split runs next to its shard whenever a worker there can take it.
  Task* fallback = nullptr;
  for (Task& t : job.maps) {
    if (!Eligible(t, worker, live)) continue;
    const std::string& shard = t.split.location();
    if (!shard.empty() && shard == worker.info.location()) return &t;
    // Elsewhere only when no live worker next to the shard can take it (none, or all failed it).
    if (fallback == nullptr && (shard.empty() || !live.ShardHasUsable(shard, t))) fallback = &t;
  }
  return fallback;
}

}  // namespace

Task* PickTask(Job& job, const Worker& worker, const LiveWorkers& live) {
  if (job.phase == JobPhase::kMapping) return PickMap(job, worker, live);
  if (job.phase != JobPhase::kReducing) return nullptr;
  for (Task& t : job.reduces) {
    if (Eligible(t, worker, live)) return &t;
  }
  return nullptr;
}

}  // namespace aviary::coordinator
