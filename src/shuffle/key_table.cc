#include "shuffle/key_table.h"

#include <cassert>
#include <new>

namespace aviary::shuffle {

void KeyTable::Allocate(size_t capacity) {
  assert(std::has_single_bit(capacity) && capacity >= 16 && capacity <= (size_t{1} << 32));
  slots_.reset(static_cast<Slot*>(::operator new[](capacity * sizeof(Slot), std::align_val_t{alignof(Slot)})));
  std::memset(static_cast<void*>(slots_.get()), 0, capacity * sizeof(Slot));  // all empty
  capacity_ = capacity;
  mask_ = capacity - 1;
  max_size_ = MaxSize(capacity);
  size_ = 0;
  tag_shift_ = 32 - std::countr_zero(capacity);
}

void KeyTable::Grow() {
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
