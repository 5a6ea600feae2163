#include "shuffle/reduce.h"

#include <memory>
#include <optional>

#include "shuffle/existing_result.h"
#include "shuffle/fold.h"
#include "shuffle/key.h"
#include "shuffle/merger.h"
#include "shuffle/plugin_call.h"
#include "shuffle/segment_reader.h"

namespace aviary::shuffle {
namespace {

constexpr uint64_t kProgressEvery = 4096;

// A BSON element's value bytes: a string gets its length prefix and terminator.
uint64_t ElementValueBytes(ValueView v) { return v.type() == Type::kString ? v.size() + 5 : v.size(); }

// Turns each merged group into one result: Reduce() (skipped for a single value, as MongoDB
// does), Finalize(), then the output writer. Existing target documents (out mode "reduce",
// existing_result.h) are folded in after the new values; a key with no new value writes nothing.
class GroupReducer {
 public:
  GroupReducer(Job* job, OutputWriter* out) : job_(job), out_(out), combiner_(job->combiner()),
                                              finalize_(job->has_finalize()) {}

  // Sets `*wrote` when the group produced an output document.
  Status Reduce(const GroupIterator& group, bool* wrote, ReduceStats* stats) {
    views_.clear();
    std::optional<DocumentView> existing;
    for (std::string_view v : group.values()) {
      const ValueView view = DecodeValue(v);
      if (view.type() != kExistingResultType) {
        views_.push_back(view);
      } else if (!existing) {  // two target documents of one key: only on a server without
        existing = DocumentView(view.data(), view.size());  // MongoDB's _id order; keep the first
      }
    }
    *wrote = !views_.empty();
    if (views_.empty()) return Status::OK();  // the target's document stays as it is
    const std::string_view key = group.key();
    ValueView result = views_[0];
    Value folded;
    if (views_.size() > 1) {
      ++stats->reduce_calls;
      RETURN_IF_ERROR(FoldValues(job_, combiner_, key, views_, &folded));
      result = folded.view();
    }
    Value with_old;
    if (const std::optional<ValueView> old = existing ? existing->Get("value") : std::nullopt) {
      pair_ = {*old, result};
      ++stats->reduce_calls;
      RETURN_IF_ERROR(FoldValues(job_, combiner_, key, pair_, &with_old));
      result = with_old.view();
    }
    // Under the target's own _id, so its type stays and the commit's upsert finds it.
    const ValueView id = existing ? existing->Get("_id").value_or(DecodeValue(key)) : DecodeValue(key);
    if (!finalize_) return Write(id, result, stats);
    Value final_value;
    RETURN_IF_ERROR(CallPlugin("Finalize", key, [&] { final_value = job_->Finalize(DecodeValue(key), result); }));
    return Write(id, final_value.view(), stats);
  }

 private:
  Status Write(ValueView id, ValueView value, ReduceStats* stats) {
    stats->bytes_out += ResultDocumentBytes(id, value);
    return out_->Write(id, value);
  }

  Job* const job_;           // not owned
  OutputWriter* const out_;  // not owned
  const Combiner combiner_;
  const bool finalize_;
  std::vector<ValueView> views_;
  std::vector<ValueView> pair_;
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

uint64_t ResultDocumentBytes(ValueView id, ValueView value) {
  // length, {type, "_id\0", value}, {type, "value\0", value}, terminator
  return 4 + (1 + 4 + ElementValueBytes(id)) + (1 + 6 + ElementValueBytes(value)) + 1;
}

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
    bool wrote = false;
    RETURN_IF_ERROR(reducer.Reduce(groups, &wrote, stats));
    ++stats->groups;
    if (wrote) ++stats->keys_out;
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
