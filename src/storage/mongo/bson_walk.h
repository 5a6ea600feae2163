// A minimal walker over raw BSON bytes that knows every BSON type's size (DocumentView stops at
// the types the engine does not use, such as MinKey, regex or Decimal128, which chunk bounds and
// foreign documents may hold). Header-only and allocation-free: it runs per document.
//
// Thread safety: plain functions and values.
#ifndef AVIARY_STORAGE_MONGO_BSON_WALK_H_
#define AVIARY_STORAGE_MONGO_BSON_WALK_H_

#include <cstdint>
#include <cstring>
#include <string_view>

#include "aviary/value.h"

namespace aviary::mongo {

// BSON type tags outside aviary::Type's set.
inline constexpr uint8_t kBsonUndefined = 0x06;
inline constexpr uint8_t kBsonRegex = 0x0B;
inline constexpr uint8_t kBsonDbPointer = 0x0C;
inline constexpr uint8_t kBsonCode = 0x0D;
inline constexpr uint8_t kBsonSymbol = 0x0E;
inline constexpr uint8_t kBsonCodeWScope = 0x0F;
inline constexpr uint8_t kBsonDecimal128 = 0x13;
inline constexpr uint8_t kBsonMinKey = 0xFF;
inline constexpr uint8_t kBsonMaxKey = 0x7F;

// MinKey and MaxKey as ValueViews (no payload).
inline constexpr Type kMinKeyType = static_cast<Type>(kBsonMinKey);
inline constexpr Type kMaxKeyType = static_cast<Type>(kBsonMaxKey);
inline ValueView MinKeyValue() { return ValueView(kMinKeyType, nullptr, 0); }
inline ValueView MaxKeyValue() { return ValueView(kMaxKeyType, nullptr, 0); }

// Size of the payload of a `type` element starting at `p`, or -1 when unknown or past `end`.
inline int64_t BsonPayloadSize(uint8_t type, const char* p, const char* end) {
  const int64_t avail = end - p;
  auto need = [avail](int64_t n) { return n >= 0 && n <= avail ? n : -1; };
  auto load32 = [p]() {
    int32_t n;
    std::memcpy(&n, p, 4);
    return int64_t{n};
  };
  switch (type) {
    case 0x01: case 0x09: case 0x11: case 0x12: return need(8);
    case 0x10: return need(4);
    case 0x08: return need(1);
    case 0x0A: case kBsonUndefined: case kBsonMinKey: case kBsonMaxKey: return 0;
    case 0x07: return need(12);
    case kBsonDecimal128: return need(16);
    case 0x02: case kBsonCode: case kBsonSymbol: return avail < 4 || load32() < 1 ? -1 : need(4 + load32());
    case kBsonDbPointer: return avail < 4 || load32() < 1 ? -1 : need(4 + load32() + 12);
    case 0x03: case 0x04: case kBsonCodeWScope: return avail < 5 || load32() < 5 ? -1 : need(load32());
    case 0x05: return avail < 5 || load32() < 0 ? -1 : need(5 + load32());
    case kBsonRegex: {
      const void* a = std::memchr(p, 0, static_cast<size_t>(avail));
      if (!a) return -1;
      const char* flags = static_cast<const char*>(a) + 1;
      const void* b = std::memchr(flags, 0, static_cast<size_t>(end - flags));
      return b ? static_cast<const char*>(b) + 1 - p : -1;
    }
    default: return -1;
  }
}

// One element: its type tag, name, and raw payload (strings keep their length prefix and NUL).
struct BsonElement {
  uint8_t type = 0;
  std::string_view name;
  const char* payload = nullptr;
  size_t size = 0;

  // The element as a ValueView; strings point at their characters only, as in aviary::ValueView.
  ValueView view() const {
    if (type == 0x02) return ValueView(Type::kString, payload + 4, size - 5);
    return ValueView(static_cast<Type>(type), payload, size);
  }
};

// Iterates the elements of one BSON document or array. Malformed bytes end the walk and set
// malformed().
class BsonWalker {
 public:
  BsonWalker(const char* doc, size_t size)
      : pos_(size >= 5 ? doc + 4 : nullptr), end_(size >= 5 ? doc + size - 1 : nullptr), malformed_(size < 5) {}

  bool Next(BsonElement* e) {
    if (pos_ == nullptr || pos_ >= end_) return false;
    e->type = static_cast<uint8_t>(*pos_);
    const char* name = pos_ + 1;
    const void* nul = std::memchr(name, 0, static_cast<size_t>(end_ - name));
    const char* payload = nul ? static_cast<const char*>(nul) + 1 : nullptr;
    const int64_t n = payload ? BsonPayloadSize(e->type, payload, end_) : -1;
    if (n < 0) {
      malformed_ = true;
      pos_ = nullptr;
      return false;
    }
    e->name = std::string_view(name, static_cast<size_t>(payload - 1 - name));
    e->payload = payload;
    e->size = static_cast<size_t>(n);
    pos_ = payload + n;
    return true;
  }
  bool malformed() const { return malformed_; }

 private:
  const char* pos_;
  const char* end_;
  bool malformed_;
};

// The value at dotted `path` inside the document. Shard keys walk sub-documents only (MongoDB
// forbids arrays on a shard key path); with `through_arrays` a component may also index an array
// ("tags.0"), as DocumentView::GetPath does. Returns false when a component is missing.
inline bool FindPath(const char* doc, size_t size, std::string_view path, BsonElement* out,
                     bool through_arrays = false) {
  while (true) {
    const size_t dot = path.find('.');
    const std::string_view head = path.substr(0, dot);
    BsonWalker walker(doc, size);
    BsonElement e;
    bool found = false;
    while (walker.Next(&e)) {
      if (e.name == head) {
        found = true;
        break;
      }
    }
    if (!found) return false;
    if (dot == std::string_view::npos) {
      *out = e;
      return true;
    }
    if (e.type != 0x03 && !(through_arrays && e.type == 0x04)) return false;
    doc = e.payload;
    size = e.size;
    path.remove_prefix(dot + 1);
  }
}

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_BSON_WALK_H_
