#include "storage/files/split_planner.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "common/utf8.h"

namespace aviary {
namespace {

// Offset of boundary i of `count` in a stream of `total` bytes; 128-bit so i*total never wraps.
uint64_t Boundary(uint64_t total, uint64_t i, uint64_t count) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(total) * i / count);
}

std::string Describe(const files::FileSplit& ranges) {
  if (ranges.ranges_size() == 0) return "";
  const files::FileRange& first = ranges.ranges(0);
  std::string s = first.path() + "@" + std::to_string(first.start()) + "+" + std::to_string(first.end() - first.start());
  if (ranges.ranges_size() > 1) s += " and " + std::to_string(ranges.ranges_size() - 1) + " more";
  return s;
}

}  // namespace

std::vector<uint64_t> DefaultSplitBoundaries(uint64_t total_bytes, uint32_t live_slots) {
  // Each round of `slots` splits takes half of what is left, down to 2 MiB a split: a running map
  // attempt claims the next idle split as it goes (coordinator/carried_splits.h), so the large
  // splits first cost few claims, and the small ones last let the slots end within a few
  // milliseconds of each other, however unevenly fast they ran (guided self-scheduling). At
  // most 128 MiB a split: what a failure repeats stays bounded.
  constexpr uint64_t kMinSplitBytes = 2ull << 20;
  constexpr uint64_t kMaxSplitBytes = 128ull << 20;
  const uint64_t slots = std::max<uint32_t>(1, live_slots);
  std::vector<uint64_t> bounds{0};
  uint64_t done = 0;
  while (done < total_bytes) {
    const uint64_t left = total_bytes - done;
    const uint64_t size = std::min({left, kMaxSplitBytes, std::max(kMinSplitBytes, left / (2 * slots))});
    for (uint64_t k = 0; k < slots && done < total_bytes; ++k) {
      done += std::min(size, total_bytes - done);
      bounds.push_back(done);
    }
  }
  return bounds;
}

files::FileSplit FileRanges(const rpc::InputSplit& split) {
  files::FileSplit ranges;
  if (!ranges.ParseFromString(split.payload())) ranges.Clear();
  return ranges;
}

uint64_t SplitCount(uint64_t total_bytes, uint32_t desired) {
  uint64_t count = desired;
  if (count == 0) count = std::max<uint64_t>(1, (total_bytes + kDefaultSplitBytes - 1) / kDefaultSplitBytes);
  return std::min(count, total_bytes);
}

std::vector<rpc::InputSplit> CutIntoSplits(const std::vector<InputFile>& files, uint64_t count) {
  uint64_t total = 0;
  for (const InputFile& f : files) total += f.size;
  assert(count <= total);
  if (count == 0) return {};
  std::vector<uint64_t> bounds;
  for (uint64_t i = 0; i <= count; ++i) bounds.push_back(Boundary(total, i, count));
  return CutAt(files, bounds);
}

std::vector<rpc::InputSplit> CutAt(const std::vector<InputFile>& files, const std::vector<uint64_t>& bounds) {
  const uint64_t count = bounds.empty() ? 0 : bounds.size() - 1;
  std::vector<rpc::InputSplit> splits(count);
  size_t file = 0;
  uint64_t file_base = 0;  // offset of files[file] in the concatenation
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t lo = bounds[i];
    const uint64_t hi = bounds[i + 1];
    rpc::InputSplit& split = splits[i];
    split.set_index(static_cast<uint32_t>(i));
    split.set_estimated_bytes(hi - lo);
    files::FileSplit ranges;
    while (file < files.size()) {
      const uint64_t file_end = file_base + files[file].size;
      const uint64_t start = std::max(lo, file_base);
      const uint64_t end = std::min(hi, file_end);
      if (start < end) {
        files::FileRange* range = ranges.add_ranges();
        range->set_path(files[file].path);
        range->set_start(start - file_base);
        range->set_end(end - file_base);
      }
      if (file_end > hi) break;  // the rest of this file belongs to the next split
      file_base = file_end;
      ++file;
    }
    split.set_description(ToValidUtf8(Describe(ranges)));  // for people; the payload keeps the bytes
    split.set_payload(ranges.SerializeAsString());
  }
  return splits;
}

}  // namespace aviary
