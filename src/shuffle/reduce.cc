#include "shuffle/reduce.h"

#include <memory>

#include "shuffle/fold.h"
#include "shuffle/key.h"
#include "shuffle/merger.h"
#include "shuffle/plugin_call.h"
#include "shuffle/segment_reader.h"

namespace aviary::shuffle {
namespace {

constexpr uint64_t kProgressEvery = 4096;

// Turns each merged group into one result: Reduce() (skipped for a single value, as MongoDB
// does), Finalize(), then the output writer.
class GroupReducer {
 public:
  GroupReducer(Job* job, OutputWriter* out) : job_(job), out_(out), combiner_(job->combiner()),
                                              finalize_(job->has_finalize()) {}

  Status Reduce(const GroupIterator& group) {
    views_.clear();
    for (std::string_view v : group.values()) views_.push_back(DecodeValue(v));
    const std::string_view key = group.key();
    ValueView result = views_[0];
    Value folded;
    if (views_.size() > 1) {
      RETURN_IF_ERROR(FoldValues(job_, combiner_, key, views_, &folded));
      result = folded.view();
    }
    if (!finalize_) return out_->Write(DecodeValue(key), result);
    Value final_value;
    RETURN_IF_ERROR(CallPlugin("Finalize", key, [&] { final_value = job_->Finalize(DecodeValue(key), result); }));
    return out_->Write(DecodeValue(key), final_value.view());
  }

 private:
  Job* const job_;           // not owned
  OutputWriter* const out_;  // not owned
  const Combiner combiner_;
  const bool finalize_;
  std::vector<ValueView> views_;
};

StatusOr<std::vector<std::unique_ptr<SegmentReader>>> OpenSegments(Env* env, const std::vector<std::string>& files) {
  std::vector<std::unique_ptr<SegmentReader>> readers;
  for (const std::string& path : files) {
    ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> file, env->NewSequentialFile(path));
    readers.push_back(std::make_unique<SegmentReader>(std::move(file), path));
    RETURN_IF_ERROR(readers.back()->StartSegment());
  }
  return readers;
}

}  // namespace

Status RunReduce(Env* env, Job* job, const std::vector<std::string>& segment_files, OutputWriter* out,
                 ReduceStats* stats, ProgressFn progress, void* progress_arg) {
  ReduceStats local;
  if (stats == nullptr) stats = &local;
  *stats = ReduceStats();
  ASSIGN_OR_RETURN(std::vector<std::unique_ptr<SegmentReader>> readers, OpenSegments(env, segment_files));
  std::vector<SegmentReader*> inputs;
  for (const auto& r : readers) inputs.push_back(r.get());
  MergingIterator merged(inputs);
  GroupIterator groups(&merged);
  GroupReducer reducer(job, out);
  uint64_t next_progress = kProgressEvery;
  while (true) {
    bool found = false;
    RETURN_IF_ERROR(groups.Next(&found));
    if (!found) break;
    RETURN_IF_ERROR(reducer.Reduce(groups));
    ++stats->keys_out;
    stats->records_in += groups.values().size();
    if (progress != nullptr && stats->records_in >= next_progress) {
      progress(progress_arg, stats->records_in);
      next_progress = (stats->records_in / kProgressEvery + 1) * kProgressEvery;
    }
  }
  for (const auto& r : readers) {
    RETURN_IF_ERROR(r->ExpectEndOfFile());
    stats->bytes_in += r->bytes_read();
  }
  if (progress != nullptr) progress(progress_arg, stats->records_in);
  return Status::OK();
}

}  // namespace aviary::shuffle
