#include "shuffle/collector.h"

#include <fmt/format.h>

#include <algorithm>

#include "shuffle/canonical_key.h"
#include "shuffle/existing_result.h"
#include "shuffle/fold.h"
#include "shuffle/format.h"
#include "shuffle/hash.h"
#include "shuffle/key.h"
#include "shuffle/plugin_call.h"

namespace aviary::shuffle {
namespace {

// Start the table at up to 4K slots (128 KiB, or 1/16 of the budget): a job with few distinct
// keys keeps a small table that stays in L1/L2 (and skips the prefetch queue, see
// kPipelineMinCapacity); the first doublings of a growing table are cheap.
size_t InitialCapacity(uint64_t budget) {
  size_t capacity = 16;
  while (capacity < (size_t{1} << 12) && 2 * capacity * sizeof(Slot) <= budget / 16) capacity *= 2;
  return capacity;
}

size_t ArenaBlockSize(uint64_t budget) {
  return static_cast<size_t>(std::clamp<uint64_t>(budget / 16, 4 << 10, 1 << 20));
}

}  // namespace

StatusOr<std::unique_ptr<MapOutputCollector>> MapOutputCollector::Create(Env* env, Job* job,
                                                                         const MapOutputOptions& options) {
  if (options.num_partitions == 0) return InvalidArgument("a map output needs at least one partition");
  return std::unique_ptr<MapOutputCollector>(new Collector(env, job, options));
}

Collector::Collector(Env* env, Job* job, const MapOutputOptions& options)
    : env_(env),
      job_(job),
      options_(options),
      combiner_(options.existing_results ? Combiner::kNone : job->combiner()),
      custom_partitioner_(job->has_partitioner()),
      inline_sums_(combiner_ == Combiner::kSum && !custom_partitioner_),
      inline_doubles_(combiner_ == Combiner::kSumDoubles && !custom_partitioner_),
      initial_capacity_(InitialCapacity(options.memory_budget_bytes)),
      arena_(ArenaBlockSize(options.memory_budget_bytes)),
      table_(initial_capacity_),
      pair_(2) {}

[[gnu::always_inline]] inline void Collector::EmitPipelined(uint64_t hash, Type type, size_t n, const ShortKey& key,
                                                             int64_t value) {
  if (pending_count_ == kPipelineDepth) {  // fold the oldest, whose slot has had time to arrive
    const Pending& p = pending_[pending_first_];
    FoldShort(p.hash, p.type, p.size, p.key, p.value);
    pending_first_ = (pending_first_ + 1) & (kPipelineDepth - 1);
    --pending_count_;
  }
  __builtin_prefetch(table_.Home(hash), 1);
  pending_[(pending_first_ + pending_count_++) & (kPipelineDepth - 1)].Set(hash, type, n, key, value);
}

[[gnu::always_inline]] inline void Collector::FoldShort(uint64_t hash, Type type, size_t n, const ShortKey& key,
                                                         int64_t value) {
  Slot* slot = table_.FindShort(hash, type, n, key);
  if (inline_doubles_) {
    double d;
    std::memcpy(&d, &value, 8);
    if (slot->empty()) return EmitDoubleOrFold(slot, hash, ValueView(type, key.bytes(), n), ValueView::Double(d));
    return slot->AddDouble(d);
  }
  if (slot->empty()) return InsertInline(slot, hash, ValueView(type, key.bytes(), n), ValueView::Int64(value));
  (void)slot->AddToSum(ValueView::Int64(value));  // an int64 always adds (at worst as a double)
}

void Collector::DrainPending() {
  // A fold may spill or grow the table; the folds after it find their keys in the new one.
  while (pending_count_ > 0) {
    const Pending& p = pending_[pending_first_];
    if (status_.ok()) FoldShort(p.hash, p.type, p.size, p.key, p.value);
    pending_first_ = (pending_first_ + 1) & (kPipelineDepth - 1);
    --pending_count_;
  }
}

[[gnu::always_inline]] inline void Collector::EmitShort(Type type, const char* data, size_t n, int64_t value) {
  const ShortKey key = HasPaddingAt(data) ? LoadPaddedShortKey(data, n) : LoadShortKey(data, n);
  const uint64_t hash = ShortKeyHash(key, n, type);
  if (table_.capacity() > kPipelineMinCapacity) return EmitPipelined(hash, type, n, key, value);
  // A table this small stays in the cache: the queue would only cost instructions.
  if (pending_count_ > 0) DrainPending();  // the table shrank (after a spill): keep emit order
  FoldShort(hash, type, n, key, value);
}

MapContext& Collector::ContextForNextRecord() {
  if (!inline_sums_) return *this;
  if (table_.capacity() > kPipelineMinCapacity) return queued_sums_;
  DrainPending();  // the table shrank (after a spill): the direct context must not overtake the queue
  return direct_sums_;
}

void Collector::DirectSumContext::EmitInt64(std::string_view key, int64_t value) {
  Collector& c = *c_;
  const size_t n = key.size();
  // HasPaddingAt() also rules out a key with no data: no null pointer lies in the range.
  if (n <= kShortKeyBytes && c.HasPaddingAt(key.data()) && c.status_.ok()) {
    const ShortKey k = LoadPaddedShortKey(key.data(), n);
    if (c.table_.AddInt64IfExact(ShortKeyHash(k, n, Type::kString), Type::kString, n, k, value)) {
      ++c.records_emitted_;
      return;
    }
  }
  c.EmitInt64Unqueued(key, value);  // it finds the key again: only new keys and rare pairs get here
}

void Collector::QueuedSumContext::EmitInt64(std::string_view key, int64_t value) {
  Collector& c = *c_;
  const size_t n = key.size();
  if (n <= kShortKeyBytes && c.HasPaddingAt(key.data()) && c.pending_count_ == kPipelineDepth && c.status_.ok()) {
    const ShortKey k = LoadPaddedShortKey(key.data(), n);
    const uint64_t hash = ShortKeyHash(k, n, Type::kString);
    __builtin_prefetch(c.table_.Home(hash), 1);
    Pending& p = c.pending_[c.pending_first_];
    c.FoldQueuedInt64(p);  // the oldest pair, whose slot has had time to arrive
    p.Set(hash, Type::kString, n, k, value);  // this pair takes its place as the newest
    c.pending_first_ = (c.pending_first_ + 1) & (kPipelineDepth - 1);
    ++c.records_emitted_;
    return;
  }
  c.Collector::EmitInt64(key, value);
}

void Collector::FoldShortOutOfLine(const Pending& p) { FoldShort(p.hash, p.type, p.size, p.key, p.value); }

void Collector::EmitUnqueued(ValueView key, ValueView value) {
  Emit(key, value);
  DrainPending();
}

void Collector::EmitInt64Unqueued(std::string_view key, int64_t value) {
  EmitInt64(key, value);
  DrainPending();
}

void Collector::SetReadableRange(const char* begin, const char* end) {
  const uintptr_t size = begin == nullptr ? 0 : static_cast<uintptr_t>(end - begin);
  if (size < kShortKeyBytes) {
    readable_begin_ = UINTPTR_MAX;
    readable_last_offset_ = 0;
    return;
  }
  readable_begin_ = reinterpret_cast<uintptr_t>(begin);
  readable_last_offset_ = size - kShortKeyBytes;
}

void Collector::Emit(ValueView key, ValueView value) {
  // Wordcount's path, checked first and kept lean: a short string key, an int64 value (kSum) or
  // a double (kSumDoubles, JavaScript's word count). Such a pair is well-formed unless a
  // non-empty key has no data.
  if (key.type() == Type::kString && key.size() <= kShortKeyBytes && value.size() == 8 &&
      (key.data() != nullptr || key.size() == 0) && status_.ok()) {
    if ((inline_sums_ && value.type() == Type::kInt64) || (inline_doubles_ && value.type() == Type::kDouble)) {
      ++records_emitted_;
      int64_t bits;
      std::memcpy(&bits, value.data(), 8);
      return EmitShort(key.type(), key.data(), key.size(), bits);
    }
  }
  EmitGeneral(key, value);
}

void Collector::EmitInt64(std::string_view key, int64_t value) {
  if (inline_sums_ && key.size() <= kShortKeyBytes && (key.data() != nullptr || key.empty()) && status_.ok()) {
    ++records_emitted_;
    return EmitShort(Type::kString, key.data(), key.size(), value);
  }
  WithScalarView(value, [&](ValueView v) { EmitGeneral(ValueView::String(key), v); });
}

void Collector::EmitGeneral(ValueView key, ValueView value) {
  if (!status_.ok()) return;
  if (!IsWellFormed(key, value)) return FailMalformed(key, value);
  ++records_emitted_;
  // MongoDB's key equality (5, 5L and 5.0 are one key): every key in its canonical form, so
  // the table, the partition hash and the run order can compare bytes. Strings always are.
  if (key.type() != Type::kString) key = CanonicalKey(key, &key_scratch_);
  EmitCanonical(key, value);
}

void Collector::EmitExisting(const DocumentView& document) {
  if (!status_.ok()) return;
  const std::optional<ValueView> id = document.Get("_id");
  if (!id) return;
  const ValueView value(kExistingResultType, document.data(), document.size());
  if (!HasValidSize(*id) || id->size() >= kMaxRecordBytes || document.size() >= kMaxRecordBytes) {
    return FailMalformed(*id, value);
  }
  ++records_emitted_;
  ++existing_emitted_;
  EmitCanonical(CanonicalKey(*id, &key_scratch_), value);
}

void Collector::EmitCanonical(ValueView key, ValueView value) {
  const uint64_t hash = TableHash(key);
  if (inline_doubles_ && KeyTable::FitsInline(key)) {
    DrainPending();
    if (!status_.ok()) return;
    Slot* slot = table_.Find(hash, key, /*inline_key=*/true);
    if (slot->empty()) return EmitDoubleOrFold(slot, hash, key, value);
    if (value.type() == Type::kDouble) return slot->AddDouble(value.as_double());
    // The first value of another type: the key moves out of line, its sum becoming the fold.
    Entry* e = NewEntry(key);
    if (e == nullptr) return;
    const Sum sum = slot->sum();
    char encoded[Sum::kEncodedSize];
    e->value = {nullptr, 0, 0};
    StoreValue(e, DecodeValue(std::string_view(encoded, sum.EncodeTo(encoded))));
    KeyTable::MoveOutOfLine(slot, e);
    return Combine(e, value);
  }
  if (inline_sums_ && key.size() <= kShortKeyBytes && value.type() == Type::kInt64) {  // a number key, say
    int64_t v;
    std::memcpy(&v, value.data(), 8);  // IsWellFormed() checked the size
    return EmitShort(key.type(), key.data(), key.size(), v);
  }
  if (inline_sums_ && KeyTable::FitsInline(key)) {
    DrainPending();
    if (!status_.ok()) return;
    Slot* slot = table_.Find(hash, key, /*inline_key=*/true);
    if (slot->empty()) return InsertInline(slot, hash, key, value);
    if (!slot->AddToSum(value)) Fail(NotNumeric(value, slot->inline_key()));
    return;
  }
  DrainPending();
  if (!status_.ok()) return;
  Slot* slot = table_.Find(hash, key, /*inline_key=*/false);
  if (slot->empty()) return Insert(slot, hash, key, value);
  Entry* e = slot->entry();
  if (combiner_ != Combiner::kSum) return Combine(e, value);
  if (!e->sum.Add(value)) Fail(NotNumeric(value, e->key()));
}

void Collector::Count(std::string_view counter, int64_t delta) {
  auto it = counters_.find(absl::string_view(counter.data(), counter.size()));  // absl's own string_view here
  if (it == counters_.end()) {
    counters_.emplace(std::string(counter), delta);
  } else {
    it->second += delta;
  }
}

void Collector::FailMalformed(ValueView key, ValueView value) {
  Fail(InvalidArgument(fmt::format("Emit() got a malformed or oversized pair: key {} of {} bytes, value {} of {} bytes",
                                   TypeName(key.type()), key.size(), TypeName(value.type()), value.size())));
}

bool Collector::PartitionOf(const Entry& e, uint32_t* partition) {
  const uint32_t n = options_.num_partitions;
  if (!custom_partitioner_) {
    *partition = DefaultPartition(HashKey(e.key()), n);
    return true;
  }
  Status s = CallPlugin("Partition", e.key(), [&] { *partition = job_->Partition(DecodeValue(e.key()), n); });
  if (s.ok() && *partition >= n) {
    s = InvalidArgument(fmt::format("Partition() returned {} for key {}, but the job has {} partitions", *partition,
                                    DescribeKey(e.key()), n));
  }
  if (!s.ok()) Fail(std::move(s));
  return s.ok();
}

void Collector::InsertInline(Slot* slot, uint64_t hash, ValueView key, ValueView value) {
  Sum sum;
  sum.Clear();
  if (!sum.Add(value)) {
    char encoded[Slot::kInlineKeyBytes];
    return Fail(NotNumeric(value, std::string_view(encoded, EncodeKey(key, encoded))));
  }
  table_.InsertInline(slot, hash, key, sum);
  if (table_.full()) GrowOrSpill();
}

// Under kSumDoubles, a short key found nowhere inline: it may be out of line already (it got
// another type before); else a double starts an inline sum and anything else an entry.
void Collector::EmitDoubleOrFold(Slot* inline_slot, uint64_t hash, ValueView key, ValueView value) {
  Slot* slot = table_.Find(hash, key, /*inline_key=*/false);
  if (!slot->empty()) return Combine(slot->entry(), value);
  if (value.type() != Type::kDouble) return Insert(slot, hash, key, value);
  int64_t bits;
  std::memcpy(&bits, value.data(), 8);
  table_.InsertInline(inline_slot, hash, key, Sum::FromBits(bits, /*is_double=*/true));  // kept as it is
  if (table_.full()) GrowOrSpill();
}

Entry* Collector::NewEntry(ValueView key) {
  auto* e = reinterpret_cast<Entry*>(arena_.Allocate(sizeof(Entry) + EncodedKeySize(key)));
  e->key_len = static_cast<uint32_t>(EncodeKey(key, e->key_data()));
  return PartitionOf(*e, &e->partition) ? e : nullptr;
}

void Collector::Insert(Slot* slot, uint64_t hash, ValueView key, ValueView value) {
  Entry* e = NewEntry(key);
  if (e == nullptr) return;
  switch (combiner_) {
    case Combiner::kSum:
      e->sum.Clear();
      if (!e->sum.Add(value)) return Fail(NotNumeric(value, e->key()));
      break;
    case Combiner::kReduce: case Combiner::kSumDoubles:
      e->value = {nullptr, 0, 0};
      StoreValue(e, value);
      break;
    case Combiner::kNone:
      e->list = {nullptr, nullptr};
      AppendValue(e, value);
      break;
  }
  table_.InsertEntry(slot, hash, e);
  if (table_.full()) GrowOrSpill();
  CheckMemory();
}

// The table is over its load limit: double it, unless that would break the budget; then spill
// (which empties it) instead. Growing may hold the old and the new array at once (a small table
// is copied; a mapped one moves and needs only the new), so that is what must fit: the table
// ends up with at most a third to a half of the budget, but the budget holds.
void Collector::GrowOrSpill() {
  if (arena_.bytes_used() + table_.memory_bytes() + table_.grown_memory_bytes() > options_.memory_budget_bytes) {
    if (status_.ok()) Spill();
  } else {
    table_.Grow();
  }
}

void Collector::Combine(Entry* e, ValueView value) {
  if (combiner_ == Combiner::kNone) {
    AppendValue(e, value);
  } else {
    ReduceInto(e, value);
  }
  CheckMemory();
}

// The running fold (Phoenix++'s combiner): Reduce({accumulated, new}) replaces the accumulator.
void Collector::ReduceInto(Entry* e, ValueView value) {
  pair_[0] = DecodeValue(std::string_view(e->value.data, e->value.size));
  pair_[1] = value;
  Value folded;
  Status s = CallPlugin("Reduce", e->key(), [&] { folded = job_->Reduce(DecodeValue(e->key()), Values(pair_)); });
  if (!s.ok()) return Fail(std::move(s));
  StoreValue(e, folded.view());
}

// Overwrites the accumulator in place when it fits; else moves it to a larger arena slot,
// doubling so a value that grows a little per fold is not copied every time.
void Collector::StoreValue(Entry* e, ValueView value) {
  const size_t n = 1 + value.size();
  if (n > e->value.capacity) {
    const size_t capacity = e->value.capacity == 0 ? n : std::max<size_t>(n, 2 * size_t{e->value.capacity});
    e->value.data = arena_.Allocate(capacity);
    e->value.capacity = static_cast<uint32_t>(capacity);
  }
  EncodeValue(value, e->value.data);
  e->value.size = static_cast<uint32_t>(n);
}

void Collector::AppendValue(Entry* e, ValueView value) {
  auto* node = reinterpret_cast<ValueNode*>(arena_.Allocate(sizeof(ValueNode) + 1 + value.size()));
  node->next = nullptr;
  node->size = static_cast<uint32_t>(EncodeValue(value, reinterpret_cast<char*>(node + 1)));
  if (e->list.tail == nullptr) {
    e->list.head = node;
  } else {
    e->list.tail->next = node;
  }
  e->list.tail = node;
}

void Collector::Fail(Status s) {
  if (status_.ok()) status_ = std::move(s);
}

}  // namespace aviary::shuffle
