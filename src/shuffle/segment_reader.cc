#include "shuffle/segment_reader.h"

#include <fmt/format.h>
#include <lz4.h>

#include "shuffle/format.h"

namespace aviary::shuffle {
namespace {

// A buffer of at least `n` bytes; grows `buf` but never shrinks it, so steady state reuses it.
char* Reserve(std::string* buf, size_t n) {
  if (buf->size() < n) buf->resize(n);
  return buf->data();
}

}  // namespace

SegmentReader::SegmentReader(std::unique_ptr<SequentialFile> file, std::string name)
    : file_(std::move(file)), name_(std::move(name)) {}

Status SegmentReader::StartSegment() {
  pos_ = limit_ = nullptr;
  return NextBlock();
}

Status SegmentReader::NextBlock() {
  bool end_of_segment = false;
  RETURN_IF_ERROR(LoadBlock(&end_of_segment));
  if (end_of_segment) {
    valid_ = false;
    return Status::OK();
  }
  return ParseRecord();
}

Status SegmentReader::LoadBlock(bool* end_of_segment) {
  block_offset_ = offset_;
  char encoded[kBlockHeaderSize];
  size_t got = 0;
  RETURN_IF_ERROR(ReadFully(sizeof encoded, encoded, &got));
  if (got < sizeof encoded) return Corrupt("truncated: the segment ends without its end marker", offset_);
  const BlockHeader h = BlockHeader::DecodeFrom(encoded);
  if (h.is_end_marker()) {
    if (h.stored_len != 0 || h.codec != 0 || h.checksum != Checksum({})) return Corrupt("bad end marker", block_offset_);
    *end_of_segment = true;
    return Status::OK();
  }
  const bool lz4 = h.codec == static_cast<uint8_t>(Codec::kLz4);
  if (h.codec > static_cast<uint8_t>(Codec::kLz4)) return Corrupt("unknown block codec", block_offset_);
  if (h.raw_len > kMaxBlockBytes || h.stored_len > kMaxBlockBytes || (!lz4 && h.stored_len != h.raw_len)) {
    return Corrupt("bad block header", block_offset_);
  }
  char* stored = lz4 ? Reserve(&stored_, h.stored_len) : Reserve(&raw_, h.raw_len);
  RETURN_IF_ERROR(ReadFully(h.stored_len, stored, &got));
  if (got < h.stored_len) return Corrupt("truncated block", offset_);
  if (Checksum(std::string_view(stored, h.stored_len)) != h.checksum) return Corrupt("checksum mismatch in block", block_offset_);
  if (lz4) {
    const int n = LZ4_decompress_safe(stored, Reserve(&raw_, h.raw_len), static_cast<int>(h.stored_len),
                                      static_cast<int>(h.raw_len));
    if (n != static_cast<int>(h.raw_len)) return Corrupt("LZ4 block does not decompress", block_offset_);
  }
  pos_ = raw_.data();
  limit_ = pos_ + h.raw_len;
  return Status::OK();
}

Status SegmentReader::ParseRecord() {
  uint32_t key_len = 0;
  uint32_t value_len = 0;
  const char* p = DecodeVarint32(pos_, limit_, &key_len);
  if (p == nullptr || key_len == 0 || key_len > static_cast<size_t>(limit_ - p)) {
    return Corrupt("malformed record in block", block_offset_);
  }
  key_ = std::string_view(p, key_len);
  p = DecodeVarint32(p + key_len, limit_, &value_len);
  if (p == nullptr || value_len == 0 || value_len > static_cast<size_t>(limit_ - p)) {
    return Corrupt("malformed record in block", block_offset_);
  }
  value_ = std::string_view(p, value_len);
  pos_ = p + value_len;
  valid_ = true;
  return Status::OK();
}

Status SegmentReader::ExpectEndOfFile() {
  char byte;
  size_t got = 0;
  RETURN_IF_ERROR(ReadFully(1, &byte, &got));
  if (got != 0) return Corrupt("unexpected bytes after the segment's end marker", offset_ - 1);
  return Status::OK();
}

Status SegmentReader::ReadFully(size_t n, char* dst, size_t* got) {
  *got = 0;
  while (*got < n) {
    std::string_view chunk;
    RETURN_IF_ERROR(file_->Read(n - *got, dst + *got, &chunk));
    if (chunk.empty()) break;
    if (chunk.data() != dst + *got) std::memmove(dst + *got, chunk.data(), chunk.size());
    *got += chunk.size();
  }
  offset_ += *got;
  return Status::OK();
}

Status SegmentReader::Corrupt(std::string_view what, uint64_t offset) const {
  return DataLoss(fmt::format("{}: {} at offset {}", name_, what, offset));
}

}  // namespace aviary::shuffle
