#include "coordinator/scheduler.h"

#include <algorithm>
#include <set>

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

bool LiveWorkers::HasShard(const std::string& shard) const { return by_shard_.count(shard) != 0; }

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

// A split `host`'s running attempt may read into its own output: one its source reads too, and
// not the existing results out mode "reduce" passes through. Any split when there is no host.
bool Compatible(const Task& task, const Task* host) {
  return host == nullptr || (!task.split.passthrough() && !host->split.passthrough() &&
                             task.split.source_uri() == host->split.source_uri());
}

// The first candidate of `ids` that `take` accepts, or null; candidates no longer idle are
// dropped on the way (idle_maps.h).
template <typename Take>
Task* FirstOf(Job& job, std::set<uint32_t>& ids, Take&& take) {
  for (auto it = ids.begin(); it != ids.end();) {
    Task& t = job.maps[*it];
    if (t.state != rpc::IDLE) {
      it = ids.erase(it);
      continue;
    }
    if (take(t)) return &t;
    ++it;
  }
  return nullptr;
}

// The lower-numbered of two picks.
Task* Earlier(Task* a, Task* b) { return a == nullptr || (b != nullptr && b->index < a->index) ? b : a; }

Task* PickMap(Job& job, const Worker& worker, const LiveWorkers& live, const Task* host) {
  if (!job.idle_maps.built()) job.idle_maps.Build(job.maps);
  const auto eligible = [&](const Task& t) { return Eligible(t, worker, live) && Compatible(t, host); };
  Task* pick = nullptr;
  // Data locality first: a split runs next to its shard whenever a worker there can take it.
  const std::string& here = worker.info.location();
  if (IdleMaps::Shard* local = here.empty() ? nullptr : job.idle_maps.Find(here)) {
    pick = Earlier(FirstOf(job, local->clean, eligible), FirstOf(job, local->failed, eligible));
  }
  // Elsewhere only when no live worker next to the shard can take it (none, or all failed it):
  // the first such split by number. A shard with a live worker keeps its clean splits, so only
  // its failed ones can be orphaned.
  for (auto& [shard, candidates] : job.idle_maps.shards()) {
    if (pick != nullptr && !here.empty() && pick->split.location() == here) break;  // a local pick wins
    if (!here.empty() && shard == here) continue;
    const bool anyone = shard.empty();
    if (anyone || !live.HasShard(shard)) pick = Earlier(pick, FirstOf(job, candidates.clean, eligible));
    const auto orphaned = [&](const Task& t) { return eligible(t) && (anyone || !live.ShardHasUsable(shard, t)); };
    pick = Earlier(pick, FirstOf(job, candidates.failed, orphaned));
  }
  if (pick != nullptr) job.idle_maps.Remove(*pick);  // about to start; a return to IDLE adds it again
  return pick;
}

}  // namespace

Task* PickTask(Job& job, const Worker& worker, const LiveWorkers& live) {
  if (job.phase == JobPhase::kMapping) return PickMap(job, worker, live, /*host=*/nullptr);
  if (job.phase != JobPhase::kReducing) return nullptr;
  for (Task& t : job.reduces) {
    if (Eligible(t, worker, live)) return &t;
  }
  return nullptr;
}

Task* PickSplitToCarry(Job& job, const Task& host, const Worker& worker, const LiveWorkers& live) {
  return job.phase == JobPhase::kMapping ? PickMap(job, worker, live, &host) : nullptr;
}

}  // namespace aviary::coordinator
