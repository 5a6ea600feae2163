#include "coordinator/job_counters.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <limits>

namespace aviary::coordinator {
namespace {

using google::protobuf::FieldDescriptor;

// Largest `progress` among the task's running attempts, or null.
const Attempt* BestRunning(const Task& task) {
  const Attempt* best = nullptr;
  for (const Attempt& a : task.attempts) {
    if (a.state == AttemptState::kRunning && (best == nullptr || a.progress > best->progress)) best = &a;
  }
  return best;
}

uint64_t Millis(double seconds) { return seconds > 0 ? static_cast<uint64_t>(seconds * 1000 + 0.5) : 0; }

}  // namespace

// By reflection, so a counter added to TaskCounters is summed without touching this code.
void AddCounters(const rpc::TaskCounters& from, rpc::TaskCounters* into) {
  const auto* descriptor = rpc::TaskCounters::descriptor();
  const auto* reflection = rpc::TaskCounters::GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* f = descriptor->field(i);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
      reflection->SetDouble(into, f, reflection->GetDouble(*into, f) + reflection->GetDouble(from, f));
    } else if (f->number() == rpc::TaskCounters::kPeakRssBytesFieldNumber) {
      reflection->SetUInt64(into, f, std::max(reflection->GetUInt64(*into, f), reflection->GetUInt64(from, f)));
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_UINT64) {
      reflection->SetUInt64(into, f, reflection->GetUInt64(*into, f) + reflection->GetUInt64(from, f));
    }
  }
}

const rpc::TaskCounters& AttemptCounters(const Attempt& attempt) {
  return attempt.state == AttemptState::kRunning ? attempt.live : attempt.result.task_counters();
}

rpc::TaskCounters JobTotals(const Job& job) {
  rpc::TaskCounters totals;
  for (const auto* tasks : {&job.maps, &job.reduces}) {
    for (const Task& task : *tasks) {
      if (task.winner >= 0) AddCounters(task.Winner().result.task_counters(), &totals);
    }
  }
  return totals;
}

rpc::TaskCounters JobProgress(const Job& job) {
  rpc::TaskCounters progress;
  for (const auto* tasks : {&job.maps, &job.reduces}) {
    for (const Task& task : *tasks) {
      if (task.winner >= 0) {
        AddCounters(task.Winner().result.task_counters(), &progress);
      } else if (const Attempt* running = BestRunning(task)) {
        AddCounters(running->live, &progress);
      }
    }
  }
  return progress;
}

rpc::MapReduceCounts MongoCounts(const Job& job, const rpc::TaskCounters& totals) {
  rpc::MapReduceCounts counts;
  counts.set_input(totals.input_records());
  counts.set_emit(totals.map_emits());
  counts.set_reduce(totals.reduce_calls());
  counts.set_output(totals.output_records());
  double map_start = std::numeric_limits<double>::max(), map_end = 0;
  for (const Task& task : job.maps) {
    for (const Attempt& a : task.attempts) map_start = std::min(map_start, a.start_unix);
    if (task.winner >= 0) map_end = std::max(map_end, task.Winner().end_unix);
  }
  double reduce_start = std::numeric_limits<double>::max(), fetched = 0, reduce_end = 0;
  for (const Task& task : job.reduces) {
    if (task.winner < 0) continue;
    const Attempt& w = task.Winner();
    reduce_start = std::min(reduce_start, w.start_unix);
    fetched = std::max(fetched, w.start_unix + static_cast<double>(w.result.task_counters().fetch_millis()) / 1000);
    reduce_end = std::max(reduce_end, w.end_unix);
  }
  if (map_end > 0) counts.set_map_millis(Millis(map_end - map_start));
  if (fetched > 0) counts.set_shuffle_millis(Millis(fetched - reduce_start));
  if (reduce_end > 0) counts.set_reduce_millis(Millis(reduce_end - fetched));
  if (job.end_unix > 0) {
    counts.set_time_millis(Millis(job.end_unix - job.submit_unix));
    if (reduce_end > 0 && job.reduces_done == job.reduces.size()) counts.set_commit_millis(Millis(job.end_unix - reduce_end));
  }
  return counts;
}

}  // namespace aviary::coordinator
