#include "shuffle/arena.h"

namespace aviary::shuffle {

char* Arena::AllocateSlow(size_t n) {
  if (n > block_size_ / 4) {  // its own block, so the current one's tail is not wasted
    large_.push_back(std::unique_ptr<char[]>(new char[n]));
    used_ += n;
    return large_.back().get();
  }
  used_ += static_cast<size_t>(end_ - ptr_);  // the abandoned tail counts as used
  if (next_block_ == blocks_.size()) blocks_.push_back(std::unique_ptr<char[]>(new char[block_size_]));
  ptr_ = blocks_[next_block_++].get();
  end_ = ptr_ + block_size_;
  char* p = ptr_;
  ptr_ += n;
  used_ += n;
  return p;
}

void Arena::Reset() {
  large_.clear();
  next_block_ = 0;
  ptr_ = end_ = nullptr;
  used_ = 0;
}

void Arena::Release() {
  Reset();
  blocks_.clear();
}

}  // namespace aviary::shuffle
