// The collector's hash table: open addressing with linear probing over 16-byte slots that keep
// the full key hash, so a probe touches an entry only when the hash already matches. Entries
// live in an Arena; the table only points at them. Not thread-safe.
#ifndef AVIARY_SHUFFLE_KEY_TABLE_H_
#define AVIARY_SHUFFLE_KEY_TABLE_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "aviary/value.h"
#include "shuffle/key.h"
#include "shuffle/sum.h"

namespace aviary::shuffle {

// A value in a kNone key's list; the encoded value follows the node.
struct ValueNode {
  ValueNode* next;
  uint32_t size;
  std::string_view value() const { return {reinterpret_cast<const char*>(this + 1), size}; }
};

// One distinct key and its combined value(s); the encoded key follows the struct. Which union
// member is live depends on the job's combiner.
struct Entry {
  uint32_t key_len;
  uint32_t partition;
  union {
    Sum sum;  // kSum
    struct {
      char* data;  // encoded value, in the arena
      uint32_t size;
      uint32_t capacity;
    } value;  // kReduce: the running fold
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

class KeyTable {
 public:
  struct Slot {
    uint64_t hash;
    Entry* entry;  // nullptr: empty slot; not owned
  };

  // REQUIRES: `capacity` is a power of two >= 16.
  explicit KeyTable(size_t capacity) { Allocate(capacity); }

  // The slot holding `key` (whose HashKey() is `hash`), or the empty slot where it belongs.
  Slot* Find(uint64_t hash, ValueView key) {
    size_t i = hash >> shift_;  // high bits: the partitioner uses the low ones
    while (true) {
      Slot* s = &slots_[i];
      if (s->entry == nullptr) return s;
      if (s->hash == hash && s->entry->Matches(key)) return s;
      i = (i + 1) & (capacity_ - 1);
    }
  }

  // Fills `slot`, which Find(hash, ...) just returned empty. Invalidates slot pointers.
  void Insert(Slot* slot, uint64_t hash, Entry* entry) {
    slot->hash = hash;
    slot->entry = entry;
    if (++size_ * 2 > capacity_) Grow();
  }

  // Empties the table; reallocates at `capacity` if it has grown beyond that.
  void Clear(size_t capacity);

  // Calls fn(Entry*) for every entry, in slot order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t i = 0; i < capacity_; ++i) {
      if (slots_[i].entry != nullptr) fn(slots_[i].entry);
    }
  }

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t memory_bytes() const { return capacity_ * sizeof(Slot); }

 private:
  void Allocate(size_t capacity);
  void Grow();

  std::unique_ptr<Slot[]> slots_;
  size_t capacity_ = 0;
  size_t size_ = 0;
  int shift_ = 0;  // 64 - log2(capacity_)
};

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_KEY_TABLE_H_
