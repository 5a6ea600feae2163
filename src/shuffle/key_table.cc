#include "shuffle/key_table.h"

#include <bit>
#include <cassert>

namespace aviary::shuffle {

void KeyTable::Allocate(size_t capacity) {
  assert(std::has_single_bit(capacity) && capacity >= 16);
  slots_ = std::make_unique<Slot[]>(capacity);  // value-initialised: all empty
  capacity_ = capacity;
  size_ = 0;
  shift_ = 64 - std::countr_zero(capacity);
}

void KeyTable::Grow() {
  std::unique_ptr<Slot[]> old = std::move(slots_);
  const size_t old_capacity = capacity_;
  const size_t old_size = size_;
  Allocate(old_capacity * 2);
  for (size_t i = 0; i < old_capacity; ++i) {
    const Slot& s = old[i];
    if (s.entry == nullptr) continue;
    size_t j = s.hash >> shift_;
    while (slots_[j].entry != nullptr) j = (j + 1) & (capacity_ - 1);
    slots_[j] = s;
  }
  size_ = old_size;
}

void KeyTable::Clear(size_t capacity) {
  if (capacity_ > capacity) {
    Allocate(capacity);
    return;
  }
  std::memset(static_cast<void*>(slots_.get()), 0, memory_bytes());
  size_ = 0;
}

}  // namespace aviary::shuffle
