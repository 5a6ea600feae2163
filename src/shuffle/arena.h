// A bump allocator for the collector's per-key entries: millions of small allocations that are
// all freed at once when the table spills. Not thread-safe.
#ifndef AVIARY_SHUFFLE_ARENA_H_
#define AVIARY_SHUFFLE_ARENA_H_

#include <cstddef>
#include <memory>
#include <vector>

namespace aviary::shuffle {

class Arena {
 public:
  explicit Arena(size_t block_size = 256 << 10) : block_size_(block_size) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns `n` uninitialised bytes, 8-byte aligned, valid until Reset().
  char* Allocate(size_t n) {
    n = (n + 7) & ~size_t{7};
    if (n <= static_cast<size_t>(end_ - ptr_)) {
      char* p = ptr_;
      ptr_ += n;
      used_ += n;
      return p;
    }
    return AllocateSlow(n);
  }

  // Frees every allocation. Standard blocks are kept for reuse, large ones released.
  void Reset();
  // Frees every allocation and gives all memory back.
  void Release();

  // Bytes handed out plus what block ends wasted: what the memory budget counts.
  size_t bytes_used() const { return used_; }

 private:
  char* AllocateSlow(size_t n);

  const size_t block_size_;
  char* ptr_ = nullptr;
  char* end_ = nullptr;
  size_t used_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;  // standard blocks; [0, next_block_) in use
  size_t next_block_ = 0;
  std::vector<std::unique_ptr<char[]>> large_;  // one per allocation above block_size_ / 4
};

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_ARENA_H_
