// The on-disk format shared by spill runs, map output files and fetched segments, and the
// little-endian / varint coding it is built from. FORMAT.md in this directory says the same with
// pictures; keep the two in step.
//
// Record (the unit inside a block):
//   varint32 key_len | key bytes | varint32 value_len | value bytes
//   key   = 1 type byte (aviary::Type) + raw bytes; an int32 key is stored as int64 (see key.h)
//   value = 1 type byte + raw bytes (ValueView::data(), strings without length prefix or NUL)
// Records never straddle blocks; a block holds whole records (so one huge record makes one
// big block).
//
// Block:
//   header (13 bytes): fixed32 raw_len | fixed32 stored_len | uint8 codec | fixed32 checksum
//   stored bytes (stored_len)
//   codec 0 = stored as is (raw_len == stored_len), 1 = LZ4 block format. checksum = XXH32 (seed
//   0) of the stored bytes. Blocks are cut once the raw records reach kBlockTarget (64 KiB).
//
// Segment (all records of one partition, sorted by key order, see key.h):
//   block* | end marker
//   The end marker is a block header with raw_len = stored_len = codec = 0 and the checksum of
//   no bytes: a reader that reaches end of file before it knows the segment was cut short.
//   An empty partition is an end marker alone.
//
// Map output file (and spill run; they share the format):
//   segment[0] .. segment[R-1] back to back
//   index:   R x { fixed64 offset, fixed64 length }   (the byte range of each segment)
//   trailer (24 bytes): fixed64 index_offset | fixed32 R | fixed32 XXH32(index) | "AVYMAP01"
//
// All fixed-width integers are little-endian.
#ifndef AVIARY_SHUFFLE_FORMAT_H_
#define AVIARY_SHUFFLE_FORMAT_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace aviary::shuffle {

static_assert(std::endian::native == std::endian::little, "the shuffle format assumes a little-endian host");

inline constexpr size_t kBlockTarget = 64 << 10;
inline constexpr size_t kBlockHeaderSize = 13;
inline constexpr size_t kIndexEntrySize = 16;
inline constexpr size_t kTrailerSize = 24;
inline constexpr char kMagic[8] = {'A', 'V', 'Y', 'M', 'A', 'P', '0', '1'};
// Keys and values are capped so a corrupt length cannot make a reader allocate gigabytes.
inline constexpr size_t kMaxRecordBytes = 256 << 20;
inline constexpr size_t kMaxBlockBytes = kBlockTarget + kMaxRecordBytes + 32;

enum class Codec : uint8_t { kNone = 0, kLz4 = 1 };

inline void EncodeFixed32(char* dst, uint32_t v) { std::memcpy(dst, &v, sizeof v); }
inline void EncodeFixed64(char* dst, uint64_t v) { std::memcpy(dst, &v, sizeof v); }
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Writes `v` as a varint at `dst` (room for 5 bytes) and returns the end.
inline char* EncodeVarint32(char* dst, uint32_t v) {
  auto* p = reinterpret_cast<uint8_t*>(dst);
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return reinterpret_cast<char*>(p);
}

// Parses a varint in [p, limit); returns the byte after it, or nullptr if malformed/truncated.
inline const char* DecodeVarint32(const char* p, const char* limit, uint32_t* v) {
  if (p < limit && (static_cast<uint8_t>(*p) & 0x80) == 0) {  // the common one-byte case
    *v = static_cast<uint8_t>(*p);
    return p + 1;
  }
  uint32_t result = 0;
  for (uint32_t shift = 0; shift <= 28 && p < limit; shift += 7) {
    const uint32_t byte = static_cast<uint8_t>(*p++);
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

struct BlockHeader {
  uint32_t raw_len = 0;
  uint32_t stored_len = 0;
  uint8_t codec = 0;
  uint32_t checksum = 0;

  void EncodeTo(char* dst) const {
    EncodeFixed32(dst, raw_len);
    EncodeFixed32(dst + 4, stored_len);
    dst[8] = static_cast<char>(codec);
    EncodeFixed32(dst + 9, checksum);
  }
  static BlockHeader DecodeFrom(const char* p) {
    return {DecodeFixed32(p), DecodeFixed32(p + 4), static_cast<uint8_t>(p[8]), DecodeFixed32(p + 9)};
  }
  bool is_end_marker() const { return raw_len == 0; }
};

// XXH32 of `data`: the block and index checksum.
uint32_t Checksum(std::string_view data);

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_FORMAT_H_
