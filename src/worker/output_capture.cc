#include "worker/output_capture.h"

#include <algorithm>

namespace aviary::worker {

void OutputCapture::Append(std::string_view data) {
  total_ += data.size();
  const size_t to_head = std::min(data.size(), keep_ - head_.size());
  head_.append(data.substr(0, to_head));
  data.remove_prefix(to_head);
  if (data.size() >= keep_) {
    tail_.assign(data.substr(data.size() - keep_));
    return;
  }
  tail_.append(data);
  if (tail_.size() > 2 * keep_) tail_.erase(0, tail_.size() - keep_);
}

std::string OutputCapture::Tail(size_t n) const {
  n = std::min(n, keep_);
  if (tail_.size() >= n) return tail_.substr(tail_.size() - n);
  const std::string all = head_ + tail_;
  return all.substr(all.size() - std::min(n, all.size()));
}

uint64_t OutputCapture::dropped_bytes() const { return total_ - head_.size() - std::min(tail_.size(), keep_); }

std::string OutputCapture::Contents() const {
  const size_t kept_tail = std::min(tail_.size(), keep_);
  const uint64_t dropped = dropped_bytes();
  std::string out = head_;
  if (dropped > 0) out += "\n[... " + std::to_string(dropped) + " bytes of output dropped ...]\n";
  out += tail_.substr(tail_.size() - kept_tail);
  return out;
}

}  // namespace aviary::worker
