#include "shuffle/collector.h"

#include <fmt/format.h>

#include <algorithm>

#include "shuffle/fold.h"
#include "shuffle/format.h"
#include "shuffle/hash.h"
#include "shuffle/key.h"
#include "shuffle/plugin_call.h"

namespace aviary::shuffle {
namespace {

// Start the table so that it holds about 1/8 of the budget, between 16 and 64K slots: big
// enough to skip the first rounds of doubling, small enough for tiny test budgets.
size_t InitialCapacity(uint64_t budget) {
  size_t capacity = 16;
  while (capacity < (size_t{1} << 16) && 2 * capacity * sizeof(KeyTable::Slot) <= budget / 8) capacity *= 2;
  return capacity;
}

size_t ArenaBlockSize(uint64_t budget) {
  return static_cast<size_t>(std::clamp<uint64_t>(budget / 16, 4 << 10, 1 << 20));
}

}  // namespace

StatusOr<std::unique_ptr<MapOutputCollector>> MapOutputCollector::Create(Env* env, Job* job,
                                                                         const MapOutputOptions& options) {
  if (options.num_partitions == 0) return InvalidArgument("a map output needs at least one partition");
  if (!options.spill_dir.empty()) RETURN_IF_ERROR(env->CreateDirs(options.spill_dir));
  return std::unique_ptr<MapOutputCollector>(new Collector(env, job, options));
}

Collector::Collector(Env* env, Job* job, const MapOutputOptions& options)
    : env_(env),
      job_(job),
      options_(options),
      combiner_(job->combiner()),
      custom_partitioner_(job->has_partitioner()),
      initial_capacity_(InitialCapacity(options.memory_budget_bytes)),
      arena_(ArenaBlockSize(options.memory_budget_bytes)),
      table_(initial_capacity_),
      pair_(2) {}

void Collector::Emit(ValueView key, ValueView value) {
  if (!status_.ok()) return;
  if (!IsWellFormed(key, value)) return FailMalformed(key, value);
  ++records_emitted_;
  int64_t wide;
  if (key.type() == Type::kInt32) {  // 5 and 5L are one key
    wide = key.as_int();
    key = ValueView::Int64(wide);
  }
  const uint64_t hash = HashKey(key);
  KeyTable::Slot* slot = table_.Find(hash, key);
  if (slot->entry == nullptr) return Insert(slot, hash, key, value);
  if (combiner_ != Combiner::kSum) return Combine(slot->entry, value);
  // Wordcount's path, kept inline: one add in place.
  if (!slot->entry->sum.Add(value)) Fail(NotNumeric(value, slot->entry->key()));
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

bool Collector::PartitionOf(const Entry& e, uint64_t hash, uint32_t* partition) {
  const uint32_t n = options_.num_partitions;
  if (!custom_partitioner_) {
    *partition = DefaultPartition(hash, n);
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

void Collector::Insert(KeyTable::Slot* slot, uint64_t hash, ValueView key, ValueView value) {
  auto* e = reinterpret_cast<Entry*>(arena_.Allocate(sizeof(Entry) + EncodedKeySize(key)));
  e->key_len = static_cast<uint32_t>(EncodeKey(key, e->key_data()));
  if (!PartitionOf(*e, hash, &e->partition)) return;
  switch (combiner_) {
    case Combiner::kSum:
      e->sum.Clear();
      if (!e->sum.Add(value)) return Fail(NotNumeric(value, e->key()));
      break;
    case Combiner::kReduce:
      e->value = {nullptr, 0, 0};
      StoreValue(e, value);
      break;
    case Combiner::kNone:
      e->list = {nullptr, nullptr};
      AppendValue(e, value);
      break;
  }
  table_.Insert(slot, hash, e);
  CheckMemory();
}

void Collector::Combine(Entry* e, ValueView value) {
  if (combiner_ == Combiner::kReduce) {
    ReduceInto(e, value);
  } else {
    AppendValue(e, value);
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
