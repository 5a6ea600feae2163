// The collector's way to disk: sorted runs when over budget, and the final merge.
#include <fmt/format.h>

#include <algorithm>

#include "shuffle/collector.h"
#include "shuffle/hash.h"
#include "shuffle/key.h"
#include "shuffle/map_file.h"
#include "shuffle/run_merge.h"
#include "shuffle/slot_sort.h"

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
  DrainPending();
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
  if (!spill_dir_made_) {
    if (Status s = env_->CreateDirs(options_.spill_dir); !s.ok()) return Fail(s.WithContext("spilling map output"));
    spill_dir_made_ = true;
  }
  runs_.push_back(NextRunPath());  // listed first, so cleanup covers a half-written run
  Status s = WriteTable(runs_.back(), nullptr);
  if (!s.ok()) return Fail(s.WithContext("spilling map output"));
  ++spills_;
  arena_.Reset();
  // Keep the grown table for the next round: it will fill up again. Only when keys live in the
  // arena and the table alone eats a large part of the budget, start small again.
  const bool keep = inline_sums_ || inline_doubles_ || table_.memory_bytes() <= options_.memory_budget_bytes / 4;
  table_.Clear(keep ? table_.capacity() : initial_capacity_);
}

// Sorts in place, in the table's own array (no second array of sort items, so sorting needs no
// memory beyond the budget; slot_sort.h). Once compacted the slots need no tag, so the tag holds
// the partition; an out-of-line slot's unused sum holds its key prefix, so the sort stays in the
// array and only equal prefixes look at the key bytes.
std::pair<Slot*, size_t> Collector::SortTable() {
  size_t n = 0;
  Slot* slots = table_.Compact(&n);
  const uint32_t partitions = options_.num_partitions;
  for (size_t i = 0; i < n; ++i) {
    Slot& s = slots[i];
    if (s.is_inline()) {
      s.tag = DefaultPartition(HashKey(s.inline_key()), partitions);
    } else {
      s.tag = s.entry()->partition;
      s.sum_bits = static_cast<int64_t>(KeyPrefix(s.entry()->key()));
    }
  }
  SortSlots(slots, n, partitions);
  return {slots, n};
}

Status Collector::WriteTable(const std::string& path, std::vector<SegmentRange>* index) {
  ASSIGN_OR_RETURN(std::unique_ptr<MapFileWriter> out,
                   MapFileWriter::Open(env_, path, options_.num_partitions, options_.compress));
  const auto [slots, n] = SortTable();
  for (size_t i = 0; i < n; ++i) RETURN_IF_ERROR(WriteSlot(slots[i], out.get()));
  RETURN_IF_ERROR(out->Finish());
  table_records_ += out->records();
  if (index != nullptr) {
    *index = out->index();
    output_records_ = out->records();
    output_bytes_ = out->bytes();
  } else {  // a spill run
    spilled_records_ += out->records();
    spilled_bytes_ += out->bytes();
  }
  return Status::OK();
}

// REQUIRES: SortTable() put the partition in s.tag.
Status Collector::WriteSlot(const Slot& s, MapFileWriter* out) const {
  char sum[Sum::kEncodedSize];
  if (s.is_inline()) return out->Add(s.tag, s.inline_key(), std::string_view(sum, s.sum().EncodeTo(sum)));
  const Entry& e = *s.entry();
  switch (combiner_) {
    case Combiner::kSum:
      return out->Add(s.tag, e.key(), std::string_view(sum, e.sum.EncodeTo(sum)));
    case Combiner::kReduce: case Combiner::kSumDoubles:
      return out->Add(s.tag, e.key(), std::string_view(e.value.data, e.value.size));
    case Combiner::kNone:
      for (const ValueNode* v = e.list.head; v != nullptr; v = v->next) {
        RETURN_IF_ERROR(out->Add(s.tag, e.key(), v->value()));
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
  table_.Clear(16);  // the merge needs neither table nor arena: give their memory back first
  arena_.Release();
  RunMerger merger(env_, job_, combiner_, options_.num_partitions, options_.compress);
  while (runs_.size() > kMaxFanIn) RETURN_IF_ERROR(MergePass(&merger).WithContext("merging spill runs"));
  const uint64_t records_before = merger.records_written(), bytes_before = merger.bytes_written();
  Status s = merger.Merge(runs_, path, &records_out_, index);
  output_records_ = merger.records_written() - records_before;
  output_bytes_ = merger.bytes_written() - bytes_before;
  merge_folds_ = merger.folds();
  return s;
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
  stats->map_emits = records_emitted_ - existing_emitted_;
  stats->existing_records = existing_emitted_;
  const bool combines = combiner_ != Combiner::kNone;
  stats->combine_input_records = combines ? records_emitted_ : 0;
  stats->combine_output_records = combines ? table_records_ : 0;
  stats->spilled_records = spilled_records_;
  stats->spilled_bytes = spilled_bytes_;
  stats->output_records = output_records_;
  stats->output_bytes = output_bytes_;
  // Each pair folded into its key's entry in the table is one fold (a Reduce({acc, new}) call
  // under kReduce, an addition under kSum), so the table's folds are its input minus its output.
  stats->reduce_calls = (combines ? records_emitted_ - table_records_ : 0) + merge_folds_;
  stats->counters.assign(counters_.begin(), counters_.end());
  std::sort(stats->counters.begin(), stats->counters.end());
}

}  // namespace aviary::shuffle
