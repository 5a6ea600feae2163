#include "coordinator/idle_maps.h"

#include "coordinator/job_state.h"

namespace aviary::coordinator {

void IdleMaps::Build(const std::vector<Task>& maps) {
  shards_.clear();
  built_ = true;
  for (const Task& t : maps) {
    if (t.state == rpc::IDLE) Add(t);
  }
}

void IdleMaps::Add(const Task& task) {
  if (!built_ || task.state != rpc::IDLE) return;  // an unbuilt index takes every idle task when built
  Shard& s = shards_[task.split.location()];
  (task.failed_on.empty() ? s.clean : s.failed).insert(task.index);
}

void IdleMaps::Remove(const Task& task) {
  if (Shard* s = Find(task.split.location())) {
    s->clean.erase(task.index);
    s->failed.erase(task.index);
  }
}

IdleMaps::Shard* IdleMaps::Find(const std::string& shard) {
  auto it = shards_.find(shard);
  return it == shards_.end() ? nullptr : &it->second;
}

}  // namespace aviary::coordinator
