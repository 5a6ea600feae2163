// The collector's way to disk: sorted runs when over budget, and the final merge.
#include <fmt/format.h>

#include <algorithm>

#include "shuffle/collector.h"
#include "shuffle/key.h"
#include "shuffle/map_file.h"
#include "shuffle/run_merge.h"

namespace aviary::shuffle {
namespace {

// With up to kMaxFanIn runs, one merge reads them all; beyond that, kMergeFactor runs at a
// time are merged into a new run first (each open run costs two block buffers).
constexpr size_t kMaxFanIn = 64;
constexpr size_t kMergeFactor = 16;

}  // namespace

Collector::~Collector() { DeleteFiles(runs_); }

Status Collector::Finish(const std::string& output_path, MapOutputStats* stats) {
  if (finished_) return FailedPrecondition("MapOutputCollector::Finish() called twice");
  finished_ = true;
  const std::string tmp = output_path + ".tmp";
  std::vector<SegmentRange> index;
  Status s = status_;
  if (s.ok() && runs_.empty()) {
    records_out_ = table_.size();
    s = WriteTable(tmp, &index);
  } else if (s.ok()) {
    s = MergeRuns(tmp, &index);
  }
  if (s.ok()) s = env_->RenameFile(tmp, output_path);
  if (!s.ok()) (void)env_->DeleteFile(tmp);  // may not exist; nothing else to do
  DeleteFiles(runs_);
  runs_.clear();
  if (stats != nullptr) FillStats(index, stats);
  return s;
}

void Collector::Spill() {
  if (options_.spill_dir.empty()) {
    return Fail(ResourceExhausted(fmt::format("map output exceeds its memory budget of {} bytes and has no spill_dir",
                                              options_.memory_budget_bytes)));
  }
  runs_.push_back(NextRunPath());  // listed first, so cleanup covers a half-written run
  Status s = WriteTable(runs_.back(), nullptr);
  if (!s.ok()) return Fail(s.WithContext("spilling map output"));
  ++spills_;
  arena_.Reset();
  // Keep the grown table for the next round unless it alone eats a large part of the budget.
  table_.Clear(table_.memory_bytes() > options_.memory_budget_bytes / 4 ? initial_capacity_ : table_.capacity());
}

// Sorting items that carry a 64-bit order-preserving key prefix keeps most comparisons in the
// (cache-friendly) item array; only equal prefixes compare the key bytes.
std::vector<Collector::SortItem> Collector::SortedEntries() const {
  std::vector<SortItem> items;
  items.reserve(table_.size());
  table_.ForEach([&](const Entry* e) {
    const std::string_view key = e->key();
    items.push_back({uint64_t{e->partition} << 8 | static_cast<uint8_t>(key[0]), KeyPrefix(key), e});
  });
  std::sort(items.begin(), items.end(), [](const SortItem& a, const SortItem& b) {
    if (a.major != b.major) return a.major < b.major;
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return CompareKeys(a.entry->key(), b.entry->key()) < 0;
  });
  return items;
}

Status Collector::WriteTable(const std::string& path, std::vector<SegmentRange>* index) {
  ASSIGN_OR_RETURN(std::unique_ptr<MapFileWriter> out,
                   MapFileWriter::Open(env_, path, options_.num_partitions, options_.compress));
  for (const SortItem& item : SortedEntries()) RETURN_IF_ERROR(WriteEntry(*item.entry, out.get()));
  RETURN_IF_ERROR(out->Finish());
  if (index != nullptr) *index = out->index();
  return Status::OK();
}

Status Collector::WriteEntry(const Entry& e, MapFileWriter* out) const {
  switch (combiner_) {
    case Combiner::kSum: {
      char value[Sum::kEncodedSize];
      return out->Add(e.partition, e.key(), std::string_view(value, e.sum.EncodeTo(value)));
    }
    case Combiner::kReduce:
      return out->Add(e.partition, e.key(), std::string_view(e.value.data, e.value.size));
    case Combiner::kNone:
      for (const ValueNode* v = e.list.head; v != nullptr; v = v->next) {
        RETURN_IF_ERROR(out->Add(e.partition, e.key(), v->value()));
      }
      return Status::OK();
  }
  return Internal("unknown combiner");
}

Status Collector::MergeRuns(const std::string& path, std::vector<SegmentRange>* index) {
  if (table_.size() > 0) {
    Spill();
    RETURN_IF_ERROR(status_);
  }
  RunMerger merger(env_, job_, options_.num_partitions, options_.compress);
  while (runs_.size() > kMaxFanIn) RETURN_IF_ERROR(MergePass(&merger).WithContext("merging spill runs"));
  return merger.Merge(runs_, path, &records_out_, index);
}

// Merges consecutive groups of kMergeFactor runs, so the runs stay in emit order (kNone keeps
// a key's values in the order they were emitted).
Status Collector::MergePass(RunMerger* merger) {
  std::vector<std::string> merged;
  Status s;
  for (size_t i = 0; i < runs_.size() && s.ok(); i += kMergeFactor) {
    const std::vector<std::string> batch(runs_.begin() + i, runs_.begin() + std::min(i + kMergeFactor, runs_.size()));
    merged.push_back(NextRunPath());
    s = merger->Merge(batch, merged.back(), nullptr, nullptr);
    DeleteFiles(batch);
  }
  if (!s.ok()) merged.insert(merged.end(), runs_.begin(), runs_.end());  // for cleanup; deleting twice is harmless
  runs_ = std::move(merged);
  return s;
}

std::string Collector::NextRunPath() {
  return fmt::format("{}/spill-{:06}.run", options_.spill_dir, next_run_id_++);
}

void Collector::DeleteFiles(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) (void)env_->DeleteFile(path);  // best effort: only disk space is at stake
}

void Collector::FillStats(const std::vector<SegmentRange>& index, MapOutputStats* stats) const {
  stats->partition_bytes.clear();
  for (const SegmentRange& r : index) stats->partition_bytes.push_back(r.length);
  stats->records_emitted = records_emitted_;
  stats->records_out = records_out_;
  stats->spills = spills_;
  stats->counters.assign(counters_.begin(), counters_.end());
  std::sort(stats->counters.begin(), stats->counters.end());
}

}  // namespace aviary::shuffle
