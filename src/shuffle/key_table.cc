#include "shuffle/key_table.h"

#include <sys/mman.h>

#include <cassert>
#include <cstdint>
#include <cstring>
#include <new>
#include <vector>

namespace aviary::shuffle {

namespace {
// Tables this large come straight from mmap, already zero (so all empty), where malloc + memset
// would zero every page twice; 2 MiB-aligned and marked for transparent huge pages, because a
// probe lands on a random page: with 4 KiB pages nearly every probe of a large table also missed
// the TLB, a page walk on top of the cache miss (and a prefetch waits for its walk). From 512 KiB
// (English text's 1 MiB table among them) a table gets a whole huge page even when smaller:
// one TLB entry instead of 256 for up to 1.5 MiB more memory (collector_bench, King James:
// medians of 14, 0.152 -> 0.146 s).
constexpr size_t kMmapBytes = size_t{512} << 10;
constexpr size_t kHugePage = size_t{2} << 20;

// The size MapZeroed() maps for a table of `bytes`: at least one whole huge page.
size_t MappedBytes(size_t bytes) { return bytes < kHugePage ? kHugePage : bytes; }

void* MapZeroed(size_t table_bytes) {
  const size_t bytes = MappedBytes(table_bytes);
  const size_t padded = bytes + kHugePage;
  void* p = ::mmap(nullptr, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start) ::munmap(p, aligned - start);
  const uintptr_t tail = aligned + bytes;
  if (start + padded > tail) ::munmap(reinterpret_cast<void*>(tail), start + padded - tail);
  (void)::madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);  // a hint; fine if refused
  return reinterpret_cast<void*>(aligned);
}
}  // namespace

void KeyTable::FreeSlots::operator()(Slot* p) const {
  if (bytes >= kMmapBytes) {
    ::munmap(p, MappedBytes(bytes));
  } else {
    ::operator delete[](p, std::align_val_t{alignof(Slot)});
  }
}

void KeyTable::Allocate(size_t capacity) {
  assert(std::has_single_bit(capacity) && capacity >= 16 && capacity <= (size_t{1} << 32));
  const size_t bytes = capacity * sizeof(Slot);
  void* p = nullptr;
  if (bytes >= kMmapBytes) {
    p = MapZeroed(bytes);
  } else {
    p = ::operator new[](bytes, std::align_val_t{alignof(Slot)});
    std::memset(p, 0, bytes);  // all empty
  }
  slots_ = std::unique_ptr<Slot[], FreeSlots>(static_cast<Slot*>(p), FreeSlots{bytes});
  capacity_ = capacity;
  mask_ = capacity - 1;
  max_size_ = MaxSize(capacity);
  size_ = 0;
  tag_shift_ = 32 - std::countr_zero(capacity);
}

void KeyTable::Grow() {
  if (memory_bytes() >= kMmapBytes && GrowByMoving()) return;
  GrowByCopy();
}

bool KeyTable::GrowByMoving() {
  const size_t old_capacity = capacity_;
  const size_t old_bytes = memory_bytes();
  void* grown = MapZeroed(2 * old_bytes);
  // Over the front of the new mapping: the page tables move, no byte is copied or zeroed, and
  // the rest of the new mapping (zero, so empty slots) is all that is new.
  void* moved = ::mremap(slots_.get(), MappedBytes(old_bytes), MappedBytes(old_bytes), MREMAP_MAYMOVE | MREMAP_FIXED,
                         grown);
  if (moved == MAP_FAILED) {
    ::munmap(grown, MappedBytes(2 * old_bytes));
    return false;
  }
  (void)slots_.release();  // its mapping now lives at `grown`
  slots_ = std::unique_ptr<Slot[], FreeSlots>(static_cast<Slot*>(moved), FreeSlots{2 * old_bytes});
  capacity_ = 2 * old_capacity;
  mask_ = capacity_ - 1;
  max_size_ = MaxSize(capacity_);
  tag_shift_ -= 1;
  RehashInPlace(old_capacity);
  return true;
}

// A slot's home doubles (2h or 2h + 1, the tag's next bit), so a key only ever moves up. Taken
// cluster by cluster from the top: a cluster's keys had homes within it (the one at slot 0 may
// hold keys wrapped from the end: it is set aside first), and their new homes lie at or above
// its start, where only keys already placed are, never one still to move; so lifting a cluster
// out and probing from each key's new home can neither overwrite a key nor leave a gap in
// another's probe. Keys whose probe would wrap past the end wait, with the set-aside cluster,
// until every other key has been placed.
void KeyTable::RehashInPlace(size_t old_capacity) {
  std::vector<Slot> later;
  size_t first_empty = 0;
  while (!slots_[first_empty].empty()) ++first_empty;  // exists: the old table was at most 3/4 full
  later.assign(&slots_[0], &slots_[first_empty]);
  std::memset(static_cast<void*>(&slots_[0]), 0, first_empty * sizeof(Slot));
  std::vector<Slot> cluster;
  for (size_t end = old_capacity; end > first_empty;) {
    if (slots_[end - 1].empty()) {
      --end;
      continue;
    }
    size_t start = end - 1;
    while (!slots_[start - 1].empty()) --start;  // stops at first_empty at the latest
    cluster.assign(&slots_[start], &slots_[end]);
    std::memset(static_cast<void*>(&slots_[start]), 0, (end - start) * sizeof(Slot));
    for (const Slot& s : cluster) {
      size_t j = s.tag >> tag_shift_;
      while (j < capacity_ && !slots_[j].empty()) ++j;
      if (j == capacity_) {
        later.push_back(s);
      } else {
        slots_[j] = s;
      }
    }
    end = start;
  }
  for (const Slot& s : later) {
    size_t j = s.tag >> tag_shift_;
    while (!slots_[j].empty()) j = (j + 1) & mask_;
    slots_[j] = s;
  }
}

void KeyTable::GrowByCopy() {
  std::unique_ptr<Slot[], FreeSlots> old = std::move(slots_);
  const size_t old_capacity = capacity_;
  const size_t old_size = size_;
  Allocate(old_capacity * 2);
  for (size_t i = 0; i < old_capacity; ++i) {
    const Slot& s = old[i];
    if (s.empty()) continue;
    size_t j = s.tag >> tag_shift_;
    while (!slots_[j].empty()) j = (j + 1) & mask_;
    slots_[j] = s;
  }
  size_ = old_size;
}

void KeyTable::Clear(size_t capacity) {
  if (capacity_ != capacity) {
    slots_.reset();  // free the old array before allocating the new one
    Allocate(capacity);
    return;
  }
  std::memset(static_cast<void*>(slots_.get()), 0, memory_bytes());
  size_ = 0;
}

Slot* KeyTable::Compact(size_t* n) {
  size_t w = 0;
  for (size_t i = 0; i < capacity_; ++i) {
    if (slots_[i].empty()) continue;
    if (i != w) slots_[w] = slots_[i];
    ++w;
  }
  *n = w;
  return slots_.get();
}

}  // namespace aviary::shuffle
