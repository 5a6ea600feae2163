// K-way merging of sorted segments and grouping of the merged records by key: the heart of both
// the map side's run merge and the reduce side.
#ifndef AVIARY_SHUFFLE_MERGER_H_
#define AVIARY_SHUFFLE_MERGER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "shuffle/segment_reader.h"

namespace aviary::shuffle {

// Yields the records of several sorted segments in key order; records with equal keys come in
// input order. A binary heap of inputs keyed by their current record.
// Thread safety: not thread-safe.
class MergingIterator {
 public:
  // The readers are borrowed and must each be positioned in a segment (StartSegment() done).
  explicit MergingIterator(std::vector<SegmentReader*> inputs);

  bool Valid() const { return !heap_.empty(); }
  // REQUIRES: Valid(). Views last until the next Next().
  std::string_view key() const { return inputs_[heap_[0]]->key(); }
  std::string_view value() const { return inputs_[heap_[0]]->value(); }
  // REQUIRES: Valid().
  Status Next();

 private:
  bool Less(uint32_t a, uint32_t b) const;
  void SiftDown(size_t i);

  std::vector<SegmentReader*> inputs_;  // not owned
  std::vector<uint32_t> heap_;          // indexes of the inputs that still have records
};

// Groups the merged records by key: each group is one key and all its values, copied out of the
// readers' blocks (which move on while the group is collected).
// Thread safety: not thread-safe.
class GroupIterator {
 public:
  explicit GroupIterator(MergingIterator* input) : input_(input) {}  // borrowed

  // Reads the next group into key()/values(); `*found` is false at the end.
  Status Next(bool* found);

  // The current group. Views last until the next Next().
  std::string_view key() const { return key_; }
  const std::vector<std::string_view>& values() const { return values_; }

 private:
  MergingIterator* input_;  // not owned
  std::string key_;
  std::string value_bytes_;               // the group's values, back to back
  std::vector<std::string_view> values_;  // into value_bytes_
};

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_MERGER_H_
