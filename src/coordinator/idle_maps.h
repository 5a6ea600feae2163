// The idle map tasks of one job, by the shard their split prefers, so that the scheduler picks a
// task for a worker without scanning the job's tasks (docs/performance.md, "Coordinator
// capacity"): a heartbeat costs O(shards + tasks that failed somewhere), not O(tasks).
//
// Entries are candidates: every transition of a map task to IDLE adds it (Job::NoteIdle), and a
// candidate that is no longer idle when met is dropped then. Built from the tasks on first use,
// so a job restored from the metadata store needs no index of its own.
//
// Thread safety: none; REQUIRES the caller's lock on the state.
#ifndef AVIARY_COORDINATOR_IDLE_MAPS_H_
#define AVIARY_COORDINATOR_IDLE_MAPS_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace aviary::coordinator {

struct Task;

class IdleMaps {
 public:
  // The candidates of one shard ("" for splits that prefer none). `clean` tasks have failed
  // nowhere, so any worker may take them; `failed` ones must avoid some workers.
  struct Shard {
    std::set<uint32_t> clean;
    std::set<uint32_t> failed;
  };

  bool built() const { return built_; }
  // Indexes every idle task of `maps`.
  void Build(const std::vector<Task>& maps);
  // `task` (a map task) may be idle now.
  void Add(const Task& task);
  void Remove(const Task& task);
  std::map<std::string, Shard>& shards() { return shards_; }
  Shard* Find(const std::string& shard);

 private:
  bool built_ = false;
  std::map<std::string, Shard> shards_;
};

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_IDLE_MAPS_H_
