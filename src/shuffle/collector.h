// The MapOutputCollector implementation (see map_output.h for the contract).
//
// Per emit: hash the key's bytes where the plugin left them (TableHash, once), probe the table
// once, and fold the value in place: no copy and no allocation unless the key is new. Under kSum
// a short key and its sum live in the table slot itself (key_table.h), so a repeated word costs
// one cache line; other new keys (encoded, see key.h) and values go to the arena. When arena
// plus table would exceed the memory budget, the table is sorted in place by (partition, key
// order, slot_sort.h) and written as a run; Finish() merges the runs, or writes the sorted table
// directly if nothing spilled.
#ifndef AVIARY_SHUFFLE_COLLECTOR_H_
#define AVIARY_SHUFFLE_COLLECTOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "shuffle/arena.h"
#include "shuffle/format.h"
#include "shuffle/hash.h"
#include "shuffle/key.h"
#include "shuffle/key_table.h"
#include "shuffle/map_output.h"

namespace aviary::shuffle {

class MapFileWriter;
class RunMerger;

// Thread safety: single-threaded.
class Collector final : public MapOutputCollector {
 public:
  Collector(Env* env, Job* job, const MapOutputOptions& options);
  ~Collector() override;  // removes spill runs that Finish() did not get to

  void Emit(ValueView key, ValueView value) override;
  void EmitExisting(const DocumentView& document) override;
  void Count(std::string_view counter, int64_t delta) override;
  void SetReadableRange(const char* begin, const char* end) override;
  MapContext& ContextForNextRecord() override;
  const Status& status() const override { return status_; }
  uint64_t emitted() const override { return records_emitted_ - existing_emitted_; }
  Status Finish(const std::string& output_path, MapOutputStats* stats) override;

 protected:
  void EmitInt64(std::string_view key, int64_t value) override;

 private:
  // --- collecting (collector.cc)
  static bool IsWellFormed(ValueView key, ValueView value) {
    return HasValidSize(key) && HasValidSize(value) && key.size() < kMaxRecordBytes && value.size() < kMaxRecordBytes;
  }
  void EmitGeneral(ValueView key, ValueView value);
  void EmitCanonical(ValueView key, ValueView value);  // REQUIRES: key canonical, pair well-formed
  void FailMalformed(ValueView key, ValueView value);

  // The common emit: a key of up to kShortKeyBytes (a word, a number) with an int64 under kSum
  // or a double under kSumDoubles. Into a large table it is pipelined: EmitPipelined() hashes
  // the key, prefetches its home slot and queues it; the pair is folded kPipelineDepth emits
  // later, when the slot has arrived in the cache. Out of cache, a probe costs a memory round
  // trip that the tokenizing of the next words now hides. Pairs are folded in emit order; any
  // other emit, and Finish(), first drains the queue.
  struct Pending {
    uint64_t hash;
    int64_t value;  // kSumDoubles: the double's bits
    ShortKey key;
    uint32_t size;
    Type type;

    // Field by field: a Pending built on the stack and copied over stalls on store forwarding.
    [[gnu::always_inline]] void Set(uint64_t h, Type t, size_t n, const ShortKey& k, int64_t v) {
      hash = h;
      value = v;
      key.lo = k.lo;
      key.hi = k.hi;
      size = static_cast<uint32_t>(n);
      type = t;
    }
  };
  static constexpr size_t kPipelineDepth = 16;  // a power of two
  // Tables up to this many slots (2 MiB) skip the queue: on English text (a 1 MiB table) the
  // queue cost more than the misses it hid, each time it was tried (docs/performance.md).
  static constexpr size_t kPipelineMinCapacity = 64 << 10;
  void EmitShort(Type type, const char* data, size_t n, int64_t value);

  // Word count's emits (Emit(word, n) under kSum) get contexts of their own, chosen per
  // record by the table's size. Their EmitInt64() holds only the common case of a short key
  // inside the readable range, in few registers and no stack frame, and hands every other
  // pair to the general path. callgrind, instructions a word: 69 where Collector::Emit() ran
  // 115 on King James text, 103 where it ran 147 on Zipf text (docs/performance.md).
  // SumContext holds what the two share.
  class SumContext : public MapContext {
   public:
    explicit SumContext(Collector* collector) : c_(collector) {}
    void Count(std::string_view counter, int64_t delta) final { c_->Count(counter, delta); }

   protected:
    Collector* const c_;
  };
  // DirectSumContext: the table is at most kPipelineMinCapacity slots; a known key's count is
  // added at once. A new key, an overflow or any Emit() of views takes the general path, which
  // then drains the queue: the table may have grown past the queue's threshold, and no value
  // queued there may be overtaken by a later one of the same key added here.
  class DirectSumContext final : public SumContext {
   public:
    using SumContext::SumContext;
    void Emit(ValueView key, ValueView value) override { c_->EmitUnqueued(key, value); }

   protected:
    void EmitInt64(std::string_view key, int64_t value) override;
  };
  // QueuedSumContext: a larger table. With the queue full, the steady state, each emit folds
  // the oldest pair and queues its own in the freed place (EmitPipelined's work without its
  // branches); anything else takes the general path, which keeps emit order itself.
  class QueuedSumContext final : public SumContext {
   public:
    using SumContext::SumContext;
    void Emit(ValueView key, ValueView value) override { c_->Emit(key, value); }

   protected:
    void EmitInt64(std::string_view key, int64_t value) override;
  };
  [[gnu::noinline]] void EmitUnqueued(ValueView key, ValueView value);
  [[gnu::noinline]] void EmitInt64Unqueued(std::string_view key, int64_t value);
  // FoldShort() of a queued pair: a known key's int64 added inline, the rest out of line.
  [[gnu::always_inline]] void FoldQueuedInt64(const Pending& p) {
    if (!table_.AddInt64IfExact(p.hash, p.type, p.size, p.key, p.value)) FoldShortOutOfLine(p);
  }
  [[gnu::noinline]] void FoldShortOutOfLine(const Pending& p);
  // Whether the kShortKeyBytes from `p` lie inside the readable range.
  bool HasPaddingAt(const char* p) const {
    return reinterpret_cast<uintptr_t>(p) - readable_begin_ <= readable_last_offset_;
  }
  void EmitPipelined(uint64_t hash, Type type, size_t n, const ShortKey& key, int64_t value);
  void FoldShort(uint64_t hash, Type type, size_t n, const ShortKey& key, int64_t value);
  void DrainPending();
  bool PartitionOf(const Entry& e, uint32_t* partition);
  void InsertInline(Slot* slot, uint64_t hash, ValueView key, ValueView value);
  void Insert(Slot* slot, uint64_t hash, ValueView key, ValueView value);
  void AfterInsert();
  void Combine(Entry* e, ValueView value);  // kReduce, kSumDoubles and kNone; Emit() adds kSum inline
  // kSumDoubles' emits of short keys, where the key may be inline (doubles so far) or not.
  void EmitDoubleOrFold(Slot* inline_slot, uint64_t hash, ValueView key, ValueView value);
  void FoldIntoEntry(Slot* slot, uint64_t hash, ValueView key, ValueView value);
  Entry* NewEntry(ValueView key);
  void ReduceInto(Entry* e, ValueView value);
  void StoreValue(Entry* e, ValueView value);
  void AppendValue(Entry* e, ValueView value);
  void CheckMemory() {
    if (arena_.bytes_used() + table_.memory_bytes() > options_.memory_budget_bytes && status_.ok()) Spill();
  }
  void GrowOrSpill();
  void Fail(Status s);

  // --- writing (collector_output.cc)
  void Spill();
  // Sorts the table in place by (partition, key order); the table must be cleared afterwards.
  std::pair<Slot*, size_t> SortTable();
  Status WriteTable(const std::string& path, std::vector<SegmentRange>* index);
  Status WriteSlot(const Slot& s, MapFileWriter* out) const;
  Status MergeRuns(const std::string& path, std::vector<SegmentRange>* index);
  Status MergePass(RunMerger* merger);
  std::string NextRunPath();
  void DeleteFiles(const std::vector<std::string>& paths);
  void FillStats(const std::vector<SegmentRange>& index, MapOutputStats* stats) const;

  Env* const env_;  // not owned
  Job* const job_;  // not owned
  const MapOutputOptions options_;
  const Combiner combiner_;
  const bool custom_partitioner_;
  const bool inline_sums_;  // kSum without a partitioner: short keys and sums live in the slots
  const bool inline_doubles_;  // kSumDoubles without a partitioner: so do short keys' double sums
  const size_t initial_capacity_;
  Status status_;
  bool finished_ = false;

  Arena arena_;
  KeyTable table_;
  std::vector<ValueView> pair_;  // kReduce's {accumulated, new} argument
  std::string key_scratch_;      // an emitted key's canonical form, when it differs
  // SetReadableRange(): its start, and the last offset in it where a key's 16 bytes still fit.
  // None: a start that no key pointer minus it can reach with an offset of at most 0.
  uintptr_t readable_begin_ = UINTPTR_MAX;
  uintptr_t readable_last_offset_ = 0;
  DirectSumContext direct_sums_{this};
  QueuedSumContext queued_sums_{this};
  Pending pending_[kPipelineDepth];
  size_t pending_first_ = 0;  // index of the oldest queued pair
  size_t pending_count_ = 0;

  std::vector<std::string> runs_;  // spill runs not merged yet
  uint64_t next_run_id_ = 0;
  bool spill_dir_made_ = false;  // made at the first spill: most attempts never spill
  uint64_t records_emitted_ = 0;
  uint64_t records_out_ = 0;
  uint64_t spills_ = 0;
  uint64_t existing_emitted_ = 0;
  uint64_t table_records_ = 0;  // records written from the table (spills and final): the combiner's output
  uint64_t spilled_records_ = 0, spilled_bytes_ = 0;
  uint64_t output_records_ = 0, output_bytes_ = 0;
  uint64_t merge_folds_ = 0;
  absl::flat_hash_map<std::string, int64_t> counters_;
};

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_COLLECTOR_H_
