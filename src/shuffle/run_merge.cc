#include "shuffle/run_merge.h"

#include <memory>

#include "shuffle/fold.h"
#include "shuffle/key.h"
#include "shuffle/map_file.h"
#include "shuffle/merger.h"
#include "shuffle/segment_reader.h"

namespace aviary::shuffle {

RunMerger::RunMerger(Env* env, Job* job, Combiner combiner, uint32_t num_partitions, bool compress)
    : env_(env), job_(job), combiner_(combiner), num_partitions_(num_partitions), compress_(compress) {}

Status RunMerger::Merge(const std::vector<std::string>& inputs, const std::string& output, uint64_t* keys,
                        std::vector<SegmentRange>* index) {
  // Each run holds its R segments back to back, so one sequential pass per run serves every
  // partition in turn.
  std::vector<std::unique_ptr<SegmentReader>> readers;
  std::vector<SegmentReader*> runs;
  for (const std::string& path : inputs) {
    ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> file, env_->NewSequentialFile(path));
    readers.push_back(std::make_unique<SegmentReader>(std::move(file), path));
    runs.push_back(readers.back().get());
  }
  ASSIGN_OR_RETURN(std::unique_ptr<MapFileWriter> out, MapFileWriter::Open(env_, output, num_partitions_, compress_));
  keys_ = 0;
  for (uint32_t p = 0; p < num_partitions_; ++p) RETURN_IF_ERROR(MergePartition(p, runs, out.get()));
  RETURN_IF_ERROR(out->Finish());
  records_written_ += out->records();
  bytes_written_ += out->bytes();
  if (keys != nullptr) *keys = keys_;
  if (index != nullptr) *index = out->index();
  return Status::OK();
}

Status RunMerger::MergePartition(uint32_t partition, const std::vector<SegmentReader*>& runs, MapFileWriter* out) {
  for (SegmentReader* run : runs) RETURN_IF_ERROR(run->StartSegment());
  MergingIterator merged(runs);
  GroupIterator groups(&merged);
  while (true) {
    bool found = false;
    RETURN_IF_ERROR(groups.Next(&found));
    if (!found) return Status::OK();
    ++keys_;
    RETURN_IF_ERROR(WriteGroup(partition, groups, out));
  }
}

Status RunMerger::WriteGroup(uint32_t partition, const GroupIterator& group, MapFileWriter* out) {
  const std::vector<std::string_view>& values = group.values();
  if (values.size() == 1 || combiner_ == Combiner::kNone) {
    for (std::string_view v : values) RETURN_IF_ERROR(out->Add(partition, group.key(), v));
    return Status::OK();
  }
  views_.clear();
  for (std::string_view v : values) views_.push_back(DecodeValue(v));
  Value folded;
  ++folds_;
  RETURN_IF_ERROR(FoldValues(job_, combiner_, group.key(), views_, &folded));
  const ValueView view = folded.view();
  folded_.resize(1 + view.size());
  EncodeValue(view, folded_.data());
  return out->Add(partition, group.key(), folded_);
}

}  // namespace aviary::shuffle
