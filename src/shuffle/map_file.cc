#include "shuffle/map_file.h"

#include <fmt/format.h>
#include <lz4.h>

#include <algorithm>

#include "shuffle/format.h"

namespace aviary::shuffle {
namespace {

// Reads exactly `n` bytes at `offset` into `dst`; DataLoss if the file ends first.
Status ReadExactly(const RandomAccessFile& file, const std::string& path, uint64_t offset, size_t n, char* dst) {
  std::string_view got;
  RETURN_IF_ERROR(file.Read(offset, n, dst, &got));
  if (got.size() != n) return DataLoss(fmt::format("{}: truncated at offset {}", path, offset + got.size()));
  if (got.data() != dst) std::memcpy(dst, got.data(), n);
  return Status::OK();
}

}  // namespace

StatusOr<SegmentRange> LocatePartition(Env* env, const std::string& path, uint32_t partition) {
  ASSIGN_OR_RETURN(const uint64_t size, env->GetFileSize(path));
  if (size < kTrailerSize) return DataLoss(fmt::format("{}: {} bytes is too short for a map output file", path, size));
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  const uint64_t trailer_offset = size - kTrailerSize;
  char trailer[kTrailerSize];
  RETURN_IF_ERROR(ReadExactly(*file, path, trailer_offset, kTrailerSize, trailer));
  if (std::memcmp(trailer + 16, kMagic, sizeof kMagic) != 0) {
    return DataLoss(fmt::format("{}: bad magic at offset {}: not a map output file", path, trailer_offset + 16));
  }
  const uint64_t index_offset = DecodeFixed64(trailer);
  const uint32_t num_partitions = DecodeFixed32(trailer + 8);
  const uint64_t index_size = uint64_t{num_partitions} * kIndexEntrySize;
  if (index_offset > trailer_offset || trailer_offset - index_offset != index_size) {
    return DataLoss(fmt::format("{}: trailer at offset {} is inconsistent with the file size {}", path,
                                trailer_offset, size));
  }
  if (partition >= num_partitions) {
    return InvalidArgument(fmt::format("{}: partition {} out of range, the file has {}", path, partition,
                                       num_partitions));
  }
  std::string index(index_size, '\0');
  RETURN_IF_ERROR(ReadExactly(*file, path, index_offset, index.size(), index.data()));
  if (Checksum(index) != DecodeFixed32(trailer + 12)) {
    return DataLoss(fmt::format("{}: index checksum mismatch at offset {}", path, index_offset));
  }
  const char* entry = index.data() + uint64_t{partition} * kIndexEntrySize;
  const SegmentRange range{DecodeFixed64(entry), DecodeFixed64(entry + 8)};
  if (range.offset > index_offset || range.length > index_offset - range.offset || range.length < kBlockHeaderSize) {
    return DataLoss(fmt::format("{}: index entry {} at offset {} is out of bounds", path, partition,
                                index_offset + uint64_t{partition} * kIndexEntrySize));
  }
  return range;
}

StatusOr<std::unique_ptr<MapFileWriter>> MapFileWriter::Open(Env* env, const std::string& path,
                                                             uint32_t num_partitions, bool compress) {
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, env->NewWritableFile(path));
  return std::unique_ptr<MapFileWriter>(new MapFileWriter(std::move(file), num_partitions, compress));
}

MapFileWriter::MapFileWriter(std::unique_ptr<WritableFile> file, uint32_t num_partitions, bool compress)
    : file_(std::move(file)), num_partitions_(num_partitions), compress_(compress) {
  raw_.reserve(kBlockTarget + 1024);
  index_.reserve(num_partitions);
}

Status MapFileWriter::Add(uint32_t partition, std::string_view key, std::string_view value) {
  if (partition != partition_) RETURN_IF_ERROR(EndSegmentsBefore(partition));
  ++records_;
  char len[5];
  raw_.append(len, static_cast<size_t>(EncodeVarint32(len, static_cast<uint32_t>(key.size())) - len));
  raw_.append(key);
  raw_.append(len, static_cast<size_t>(EncodeVarint32(len, static_cast<uint32_t>(value.size())) - len));
  raw_.append(value);
  return raw_.size() >= kBlockTarget ? FlushBlock() : Status::OK();
}

Status MapFileWriter::Finish() {
  RETURN_IF_ERROR(EndSegmentsBefore(num_partitions_));
  std::string tail(index_.size() * kIndexEntrySize + kTrailerSize, '\0');
  char* p = tail.data();
  for (const SegmentRange& r : index_) {
    EncodeFixed64(p, r.offset);
    EncodeFixed64(p + 8, r.length);
    p += kIndexEntrySize;
  }
  EncodeFixed64(p, offset_);
  EncodeFixed32(p + 8, num_partitions_);
  EncodeFixed32(p + 12, Checksum(std::string_view(tail.data(), index_.size() * kIndexEntrySize)));
  std::memcpy(p + 16, kMagic, sizeof kMagic);
  RETURN_IF_ERROR(Write(tail));
  RETURN_IF_ERROR(file_->Flush(/*sync=*/false));
  return file_->Close();
}

// Ends the current segment and writes empty ones for the partitions that had no records.
Status MapFileWriter::EndSegmentsBefore(uint32_t partition) {
  while (partition_ < partition) {
    RETURN_IF_ERROR(EndSegment());
    ++partition_;
  }
  return Status::OK();
}

Status MapFileWriter::EndSegment() {
  RETURN_IF_ERROR(FlushBlock());
  char marker[kBlockHeaderSize];
  BlockHeader{0, 0, 0, Checksum({})}.EncodeTo(marker);
  RETURN_IF_ERROR(Write(std::string_view(marker, sizeof marker)));
  index_.push_back({segment_start_, offset_ - segment_start_});
  segment_start_ = offset_;
  return Status::OK();
}

Status MapFileWriter::FlushBlock() {
  if (raw_.empty()) return Status::OK();
  std::string_view stored = raw_;
  BlockHeader header{static_cast<uint32_t>(raw_.size()), 0, static_cast<uint8_t>(Codec::kNone), 0};
  // LZ4 only where it pays: a block that saves less than 1/16 is stored raw, and the next
  // 1, 2, 4, ... 16 blocks are not even tried (incompressible values cost little CPU); a block that
  // compresses well resets the back-off.
  if (compress_ && skip_ > 0) {
    --skip_;
  } else if (compress_) {
    const int bound = LZ4_compressBound(static_cast<int>(raw_.size()));
    if (compressed_.size() < static_cast<size_t>(bound)) compressed_.resize(static_cast<size_t>(bound));
    const int n = LZ4_compress_default(raw_.data(), compressed_.data(), static_cast<int>(raw_.size()), bound);
    if (n > 0 && static_cast<size_t>(n) < raw_.size() - raw_.size() / 16) {
      stored = std::string_view(compressed_.data(), static_cast<size_t>(n));
      header.codec = static_cast<uint8_t>(Codec::kLz4);
      backoff_ = 1;
    } else {
      skip_ = backoff_;
      backoff_ = std::min<uint32_t>(2 * backoff_, 16);
    }
  }
  header.stored_len = static_cast<uint32_t>(stored.size());
  header.checksum = Checksum(stored);
  char encoded[kBlockHeaderSize];
  header.EncodeTo(encoded);
  RETURN_IF_ERROR(Write(std::string_view(encoded, sizeof encoded)));
  RETURN_IF_ERROR(Write(stored));
  raw_.clear();
  return Status::OK();
}

Status MapFileWriter::Write(std::string_view data) {
  offset_ += data.size();
  return file_->Append(data);
}

}  // namespace aviary::shuffle
