// Cuts a list of files, seen as one concatenated byte stream, into contiguous byte ranges.
// Pure functions: no file access, so the arithmetic is tested on its own.
#ifndef AVIARY_STORAGE_FILES_SPLIT_PLANNER_H_
#define AVIARY_STORAGE_FILES_SPLIT_PLANNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "rpc/aviary.pb.h"
#include "storage/files/files_split.pb.h"

namespace aviary {

struct InputFile {
  std::string path;
  uint64_t size = 0;
};

// Default bytes per split when the job does not ask for a number of map tasks.
inline constexpr uint64_t kDefaultSplitBytes = uint64_t{64} << 20;

// How many splits to cut `total_bytes` into: `desired`, or one per kDefaultSplitBytes when
// `desired` is 0; never more than there are bytes, so no split is empty. 0 for an empty input.
uint64_t SplitCount(uint64_t total_bytes, uint32_t desired);

// The default cut of `total_bytes` for `live_slots` slots, as split boundaries (0 first,
// `total_bytes` last, increasing): rounds of one split per slot, each round's splits half of
// what is left over the slots, from at most 128 MiB down to 2 MiB (map attempts carry more splits than their own:
// coordinator/carried_splits.h). {0} for an empty input.
std::vector<uint64_t> DefaultSplitBoundaries(uint64_t total_bytes, uint32_t live_slots);

// Cuts the files into `count` splits of (nearly) equal size. Split i covers bytes
// [i*T/count, (i+1)*T/count) of the concatenation (T = total size) as one FileRange per file it
// touches, in the split's payload (a files::FileSplit); empty files appear in no split. Each split
// also gets its estimated_bytes and a description ("PATH@START+LENGTH and N more").
// REQUIRES: 1 <= count <= total size, or count == 0.
std::vector<rpc::InputSplit> CutIntoSplits(const std::vector<InputFile>& files, uint64_t count);

// Cuts the files at `bounds` (offsets into the concatenation, increasing, first 0 and last the
// total size): split i covers [bounds[i], bounds[i+1]), as CutIntoSplits describes.
std::vector<rpc::InputSplit> CutAt(const std::vector<InputFile>& files, const std::vector<uint64_t>& bounds);

// The ranges in a files: split's payload (none when it holds no FileSplit).
files::FileSplit FileRanges(const rpc::InputSplit& split);

}  // namespace aviary

#endif  // AVIARY_STORAGE_FILES_SPLIT_PLANNER_H_
