// The collector's hash table: open addressing with linear probing over 32-byte slots, two to a
// cache line.
//
// A slot keeps 32 bits of the key's hash (its tag) and, for the common case of a kSum job with a
// short key (encoded key of at most kInlineKeyBytes, i.e. words of up to 18 letters), the encoded
// key itself and the running sum: an emit of a known word reads and writes one cache line and
// never touches the arena. Other keys (long ones, and every key of kReduce and kNone jobs or of
// jobs with their own partitioner) live in an Entry in the collector's Arena and the slot points
// at it. The slot index is the tag's top bits, so growing the table moves slots without
// rehashing any key. Not thread-safe.
#ifndef AVIARY_SHUFFLE_KEY_TABLE_H_
#define AVIARY_SHUFFLE_KEY_TABLE_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "aviary/value.h"
#include "shuffle/hash.h"
#include "shuffle/key.h"
#include "shuffle/sum.h"

namespace aviary::shuffle {

// A value in a kNone key's list; the encoded value follows the node.
struct ValueNode {
  ValueNode* next;
  uint32_t size;
  std::string_view value() const { return {reinterpret_cast<const char*>(this + 1), size}; }
};

// One distinct key stored out of line, and its combined value(s); the encoded key follows the
// struct. Which union member is live depends on the job's combiner.
struct Entry {
  uint32_t key_len;
  uint32_t partition;
  union {
    Sum sum;  // kSum
    struct {
      char* data;  // encoded value, in the arena
      uint32_t size;
      uint32_t capacity;
    } value;  // kReduce and kSumDoubles: the running fold
    struct {
      ValueNode* head;
      ValueNode* tail;
    } list;  // kNone: every value in emit order
  };

  char* key_data() { return reinterpret_cast<char*>(this + 1); }
  std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_len}; }

  // Whether this entry's key is `key` (a widened view, see key.h).
  bool Matches(ValueView key) const {
    const char* k = reinterpret_cast<const char*>(this + 1);
    return key_len == key.size() + 1 && k[0] == static_cast<char>(key.type()) &&
           BytesEqual(k + 1, key.data(), key.size());
  }
};

// One slot. Layout (bytes):
//   0..3    tag: the high 32 bits of TableHash(key) (hash.h)
//   4       meta: bits 0-6 the length of the inline encoded key (1..kInlineKeyBytes) or
//           kOutOfLine; bit 7 set when the inline sum has turned into a double
//   5..23   key: key[0] is the key's type byte (never 0, so 0 marks an empty slot); inline, the
//           encoded key, zero-padded; out of line, the Entry* at key + 3 (offset 8)
//   24..31  the inline sum's int64 or double bits
// An all-zero slot is empty. Zero padding after an inline key lets Prefix() read 8 bytes blindly.
struct alignas(32) Slot {
  static constexpr size_t kInlineKeyBytes = 19;
  static constexpr uint8_t kOutOfLine = 0x7f;
  static constexpr uint8_t kDoubleSum = 0x80;

  uint32_t tag;
  uint8_t meta;
  char key[kInlineKeyBytes];
  int64_t sum_bits;

  bool empty() const { return key[0] == 0; }
  bool is_inline() const { return (meta & kOutOfLine) != kOutOfLine; }
  Entry* entry() const {
    Entry* e;
    std::memcpy(&e, key + 3, sizeof e);
    return e;
  }
  std::string_view inline_key() const { return {key, static_cast<size_t>(meta & kOutOfLine)}; }
  std::string_view encoded_key() const { return is_inline() ? inline_key() : entry()->key(); }

  Sum sum() const { return Sum::FromBits(sum_bits, (meta & kDoubleSum) != 0); }
  void set_sum(const Sum& s) {
    sum_bits = s.bits();
    meta = static_cast<uint8_t>((meta & kOutOfLine) | (s.is_double() ? kDoubleSum : 0));
  }

  // Adds `v` to the inline sum; false (and no change) when `v` is not a number.
  [[gnu::always_inline]] bool AddToSum(ValueView v) {
    if (v.type() == Type::kInt64 && v.size() == 8 && (meta & kDoubleSum) == 0) {  // wordcount's case
      int64_t x;
      int64_t r;
      std::memcpy(&x, v.data(), 8);
      if (!__builtin_add_overflow(sum_bits, x, &r)) {
        sum_bits = r;
        return true;
      }
    }
    return AddToSumSlow(v);
  }
  [[gnu::noinline]] bool AddToSumSlow(ValueView v) {
    Sum s = sum();
    if (!s.Add(v)) return false;
    set_sum(s);
    return true;
  }

  // kSumDoubles' in-place fold: sum + d, exactly what the job's Reduce() returns.
  [[gnu::always_inline]] void AddDouble(double d) {
    double sum;
    std::memcpy(&sum, &sum_bits, 8);
    sum += d;
    std::memcpy(&sum_bits, &sum, 8);
  }

  // An order-preserving 64-bit digest of the key, KeyPrefix(encoded_key()) (see key.h).
  uint64_t Prefix() const {
    if (!is_inline()) return KeyPrefix(entry()->key());
    if (detail::IsNumericKey(static_cast<uint8_t>(key[0])) && (meta & kOutOfLine) == 9) {
      return detail::OrderedNumber(static_cast<uint8_t>(key[0]), key + 1);
    }
    uint64_t v;
    std::memcpy(&v, key + 1, 8);  // the padding is zero: a shorter key sorts first
    return __builtin_bswap64(v);
  }
};
static_assert(sizeof(Slot) == 32 && alignof(Slot) == 32 && offsetof(Slot, sum_bits) == 24);

class KeyTable {
 public:
  // REQUIRES: `capacity` is a power of two, 16 <= capacity <= 2^32.
  explicit KeyTable(size_t capacity) { Allocate(capacity); }

  // Whether `key` (widened, see key.h) fits in a slot.
  static bool FitsInline(ValueView key) { return key.size() < Slot::kInlineKeyBytes; }

  // The slot holding `key` (whose TableHash() is `hash`), or the empty slot where it belongs.
  // `inline_key`: whether the key is (to be) stored inline; the collector decides, per job, and
  // keeps to it, so a key is only ever looked for the way it is stored (under kSumDoubles a
  // short key is inline while its values are doubles, then out of line: the collector looks
  // for both).
  [[gnu::always_inline]] Slot* Find(uint64_t hash, ValueView key, bool inline_key) {
    const auto tag = static_cast<uint32_t>(hash >> 32);
    const uint8_t len = inline_key ? static_cast<uint8_t>(key.size() + 1) : Slot::kOutOfLine;
    // Bytes 0..5 of a slot holding this key: tag, meta without the double flag, type byte.
    const uint64_t want = tag | uint64_t{len} << 32 | uint64_t{static_cast<uint8_t>(key.type())} << 40;
    size_t i = tag >> tag_shift_;
    while (true) {
      Slot* s = &slots_[i];
      uint64_t head;
      std::memcpy(&head, s, 8);
      head &= kHeadMask;
      if (head == want) {
        if (inline_key ? BytesEqual(s->key + 1, key.data(), key.size()) : s->entry()->Matches(key)) return s;
      } else if (head == 0) {
        return s;  // empty: a nonempty slot has a nonzero type byte
      }
      i = (i + 1) & mask_;
    }
  }

  // Find(hash, key, /*inline_key=*/true) for a key of at most kShortKeyBytes given as its words:
  // an inline key's zero padding makes the compare two word compares, whatever its length.
  [[gnu::always_inline]] Slot* FindShort(uint64_t hash, Type type, size_t n, const ShortKey& key) {
    const auto tag = static_cast<uint32_t>(hash >> 32);
    const uint64_t want = tag | uint64_t{n + 1} << 32 | uint64_t{static_cast<uint8_t>(type)} << 40;
    size_t i = tag >> tag_shift_;
    while (true) {
      Slot* s = &slots_[i];
      uint64_t head, lo, hi;
      std::memcpy(&head, s, 8);
      head &= kHeadMask;
      if (head == want) {
        std::memcpy(&lo, s->key + 1, 8);
        std::memcpy(&hi, s->key + 9, 8);
        if (((lo ^ key.lo) | (hi ^ key.hi)) == 0) return s;
      } else if (head == 0) {
        return s;
      }
      i = (i + 1) & mask_;
    }
  }

  // Word count's fold: adds `x` to the int64 sum of the inline key given as its words (as
  // FindShort() takes it) when the key is in the table and the sum stays an int64. False, with
  // nothing changed, for a key not in the table, a double sum or an overflow: the general path
  // decides those. A slot's double flag is compared with the rest of its head, so a double
  // sum is passed over like another key; the probe then ends at an empty slot.
  [[gnu::always_inline]] bool AddInt64IfExact(uint64_t hash, Type type, size_t n, const ShortKey& key, int64_t x) {
    const auto tag = static_cast<uint32_t>(hash >> 32);
    // Bytes 0..5 of the slot (tag, meta, type byte) shifted to the top: no mask to keep.
    const uint64_t want = (tag | uint64_t{n + 1} << 32 | uint64_t{static_cast<uint8_t>(type)} << 40) << 16;
    size_t i = tag >> tag_shift_;
    while (true) {
      Slot* s = &slots_[i];
      uint64_t head, lo, hi;
      std::memcpy(&head, s, 8);
      head <<= 16;
      if (head == want) {
        std::memcpy(&lo, s->key + 1, 8);
        std::memcpy(&hi, s->key + 9, 8);
        if (((lo ^ key.lo) | (hi ^ key.hi)) == 0) {
          int64_t r;
          if (__builtin_add_overflow(s->sum_bits, x, &r)) return false;
          s->sum_bits = r;
          return true;
        }
      } else if (head == 0) {
        return false;
      }
      i = (i + 1) & mask_;
    }
  }

  // Where the probe for a key with this hash starts: worth prefetching well before Find().
  const Slot* Home(uint64_t hash) const { return &slots_[static_cast<uint32_t>(hash >> 32) >> tag_shift_]; }

  // Fill `slot`, which Find(hash, key, ...) just returned empty. They may leave the table over
  // its load limit (full()): the caller then grows it or spills.
  void InsertInline(Slot* slot, uint64_t hash, ValueView key, const Sum& sum) {
    slot->tag = static_cast<uint32_t>(hash >> 32);
    slot->meta = static_cast<uint8_t>(key.size() + 1);
    slot->key[0] = static_cast<char>(key.type());
    if (key.size() != 0) std::memcpy(slot->key + 1, key.data(), key.size());
    slot->set_sum(sum);
    ++size_;
  }
  // Turns the inline `slot` into one for `entry` (which holds the same key), in place.
  static void MoveOutOfLine(Slot* slot, Entry* entry) {
    const char type = slot->key[0];
    std::memset(slot->key, 0, sizeof slot->key);
    slot->meta = Slot::kOutOfLine;
    slot->key[0] = type;
    std::memcpy(slot->key + 3, &entry, sizeof entry);
    slot->sum_bits = 0;
  }
  void InsertEntry(Slot* slot, uint64_t hash, Entry* entry) {
    slot->tag = static_cast<uint32_t>(hash >> 32);
    slot->meta = Slot::kOutOfLine;
    slot->key[0] = entry->key()[0];
    std::memcpy(slot->key + 3, &entry, sizeof entry);
    ++size_;
  }

  // Over the load limit: time to Grow() (or to spill and Clear()).
  bool full() const { return size_ > max_size_; }
  // Doubles the capacity. Invalidates slot pointers. A mapped table (from kMmapBytes) grows in
  // place: its pages move to the front of a mapping twice the size and only the new half is new
  // memory, where a copy touched the old and the new array both (a slow first touch on a host
  // that takes free memory back made that a fifth of a map attempt).
  void Grow();
  // The memory the table would take after Grow().
  size_t grown_memory_bytes() const { return 2 * memory_bytes(); }

  // Empties the table; reallocates at `capacity` if it has another capacity.
  void Clear(size_t capacity);

  // Moves the occupied slots to the front, in no particular order, and returns them: the table
  // becomes an array to sort and write out. REQUIRES: Clear() before the table is used again.
  Slot* Compact(size_t* n);

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t memory_bytes() const { return capacity_ * sizeof(Slot); }

 private:
  // Tag, meta without kDoubleSum, type byte.
  static constexpr uint64_t kHeadMask = 0x0000'ff7f'ffff'ffffULL;
  // Grow beyond 3/4 full: with 32-byte slots a hit seldom needs a second cache line.
  static size_t MaxSize(size_t capacity) { return capacity / 4 * 3; }

  void Allocate(size_t capacity);
  // Grow() by copying every slot into a new array.
  void GrowByCopy();
  // Grow() by moving the pages; false (and nothing changed) when the kernel refuses.
  bool GrowByMoving();
  // Puts every slot of the first `old_capacity` where the doubled table wants it.
  void RehashInPlace(size_t old_capacity);

  struct FreeSlots {
    FreeSlots() : bytes(0) {}
    explicit FreeSlots(size_t n) : bytes(n) {}
    void operator()(Slot* p) const;
    size_t bytes;
  };
  std::unique_ptr<Slot[], FreeSlots> slots_;
  size_t capacity_ = 0;
  size_t mask_ = 0;
  size_t max_size_ = 0;
  size_t size_ = 0;
  int tag_shift_ = 0;  // 32 - log2(capacity_): the slot index is the tag's top bits
};

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_KEY_TABLE_H_
