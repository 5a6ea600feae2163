#include "shuffle/merger.h"

#include <utility>

#include "shuffle/key.h"

namespace aviary::shuffle {

MergingIterator::MergingIterator(std::vector<SegmentReader*> inputs) : inputs_(std::move(inputs)) {
  for (uint32_t i = 0; i < inputs_.size(); ++i) {
    if (inputs_[i]->Valid()) heap_.push_back(i);
  }
  for (size_t i = heap_.size() / 2; i-- > 0;) SiftDown(i);
}

Status MergingIterator::Next() {
  RETURN_IF_ERROR(inputs_[heap_[0]]->Next());
  if (!inputs_[heap_[0]]->Valid()) {
    heap_[0] = heap_.back();
    heap_.pop_back();
  }
  if (!heap_.empty()) SiftDown(0);
  return Status::OK();
}

bool MergingIterator::Less(uint32_t a, uint32_t b) const {
  const int c = CompareKeys(inputs_[a]->key(), inputs_[b]->key());
  return c < 0 || (c == 0 && a < b);
}

void MergingIterator::SiftDown(size_t i) {
  const size_t n = heap_.size();
  const uint32_t moving = heap_[i];
  while (true) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && Less(heap_[child + 1], heap_[child])) ++child;
    if (!Less(heap_[child], moving)) break;
    heap_[i] = heap_[child];
    i = child;
  }
  heap_[i] = moving;
}

Status GroupIterator::Next(bool* found) {
  *found = input_->Valid();
  if (!*found) return Status::OK();
  key_.assign(input_->key());
  value_bytes_.clear();
  values_.clear();
  do {  // equal keys are byte-identical (key.h), so no CompareKeys() here
    const std::string_view value = input_->value();
    const size_t capacity = value_bytes_.capacity();
    value_bytes_.append(value);
    if (value_bytes_.capacity() != capacity) {  // grown: the views so far follow their bytes (back to back)
      size_t offset = 0;
      for (std::string_view& v : values_) {
        v = std::string_view(value_bytes_.data() + offset, v.size());
        offset += v.size();
      }
    }
    values_.emplace_back(value_bytes_.data() + value_bytes_.size() - value.size(), value.size());
    RETURN_IF_ERROR(input_->Next());
  } while (input_->Valid() && input_->key() == key_);
  return Status::OK();
}

}  // namespace aviary::shuffle
