// OutputCapture: what a task process wrote to stdout and stderr, bounded. It keeps the first and
// the last `keep` bytes and counts the rest as dropped, so a plugin printing gigabytes costs the
// worker daemon a few KiB of memory and no disk, and the error message still shows the tail.
//
// Thread safety: not thread-safe; owned by one TaskProcess.
#ifndef AVIARY_WORKER_OUTPUT_CAPTURE_H_
#define AVIARY_WORKER_OUTPUT_CAPTURE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace aviary::worker {

class OutputCapture {
 public:
  explicit OutputCapture(size_t keep = 16 << 10) : keep_(keep) {}

  void Append(std::string_view data);
  // The last `n` bytes kept (at most `keep`), for error messages.
  std::string Tail(size_t n) const;
  // Head, a line saying how much was dropped (if anything), and tail.
  std::string Contents() const;
  uint64_t total_bytes() const { return total_; }
  uint64_t dropped_bytes() const;

 private:
  const size_t keep_;
  std::string head_;
  std::string tail_;  // grows to 2 * keep_, then is cut back to keep_ (amortized O(1) per byte)
  uint64_t total_ = 0;
};

}  // namespace aviary::worker

#endif  // AVIARY_WORKER_OUTPUT_CAPTURE_H_
