#include "storage/files/split_planner.h"

#include <algorithm>
#include <cassert>

namespace aviary {
namespace {

// Offset of boundary i of `count` in a stream of `total` bytes; 128-bit so i*total never wraps.
uint64_t Boundary(uint64_t total, uint64_t i, uint64_t count) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(total) * i / count);
}

}  // namespace

uint64_t SplitCount(uint64_t total_bytes, uint32_t desired) {
  uint64_t count = desired;
  if (count == 0) count = std::max<uint64_t>(1, (total_bytes + kDefaultSplitBytes - 1) / kDefaultSplitBytes);
  return std::min(count, total_bytes);
}

std::vector<rpc::InputSplit> CutIntoSplits(const std::vector<InputFile>& files, uint64_t count) {
  uint64_t total = 0;
  for (const InputFile& f : files) total += f.size;
  assert(count <= total);
  std::vector<rpc::InputSplit> splits(count);
  size_t file = 0;
  uint64_t file_base = 0;  // offset of files[file] in the concatenation
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t lo = Boundary(total, i, count);
    const uint64_t hi = Boundary(total, i + 1, count);
    rpc::InputSplit& split = splits[i];
    split.set_index(static_cast<uint32_t>(i));
    split.set_estimated_bytes(hi - lo);
    while (file < files.size()) {
      const uint64_t file_end = file_base + files[file].size;
      const uint64_t start = std::max(lo, file_base);
      const uint64_t end = std::min(hi, file_end);
      if (start < end) {
        rpc::FileRange* range = split.add_files();
        range->set_path(files[file].path);
        range->set_start(start - file_base);
        range->set_end(end - file_base);
      }
      if (file_end > hi) break;  // the rest of this file belongs to the next split
      file_base = file_end;
      ++file;
    }
  }
  return splits;
}

}  // namespace aviary
