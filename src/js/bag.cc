#include "js/bag.h"

#include <cstring>
#include <string>

namespace aviary::js {
namespace {

// Element 0 of a bag: binary, 12 bytes of subtype 0xA7 (user-defined range): 8 bytes of magic,
// then the number of values as a little-endian uint32 (so appending needs no scan).
constexpr char kMagic[] = "AvJsBag1";
constexpr size_t kMagicSize = 8;
constexpr size_t kMarkerPayload = 4 + 1 + kMagicSize + 4;
// Offsets inside the bag document: int32 size, type byte, "0\0", then the binary payload.
constexpr size_t kPayloadAt = 4 + 1 + 2;
constexpr size_t kMagicAt = kPayloadAt + 5;
constexpr size_t kCountAt = kMagicAt + kMagicSize;
constexpr size_t kHeaderSize = kPayloadAt + kMarkerPayload;

uint32_t CountOf(ValueView bag) {
  uint32_t n;
  std::memcpy(&n, bag.data() + kCountAt, 4);
  return n;
}

// Appends element `index` holding `v` to a document being built (without its trailing NUL).
void AppendElement(std::string* doc, uint32_t index, ValueView v) {
  const std::string name = std::to_string(index);
  doc->push_back(static_cast<char>(v.type()));
  doc->append(name.c_str(), name.size() + 1);
  if (v.is_string()) {
    const int32_t n = static_cast<int32_t>(v.size() + 1);
    doc->append(reinterpret_cast<const char*>(&n), 4);
    doc->append(v.data(), v.size());
    doc->push_back('\0');
  } else {
    doc->append(v.data(), v.size());
  }
}

Value Seal(std::string doc, uint32_t count) {
  doc.push_back('\0');
  const int32_t size = static_cast<int32_t>(doc.size());
  std::memcpy(doc.data(), &size, 4);
  std::memcpy(doc.data() + kCountAt, &count, 4);
  return Value::FromBson(Type::kArray, std::move(doc));
}

std::string Header() {
  std::string doc(4, '\0');
  doc.push_back(static_cast<char>(Type::kBinary));
  doc.append("0", 2);
  const int32_t n = static_cast<int32_t>(kMagicSize + 4);
  doc.append(reinterpret_cast<const char*>(&n), 4);
  doc.push_back(static_cast<char>(0xA7));
  doc.append(kMagic, kMagicSize);
  doc.append(4, '\0');  // the count, set by Seal()
  return doc;
}

}  // namespace

bool IsBag(ValueView v) {
  return v.is_array() && v.size() > kHeaderSize && v.data()[4] == static_cast<char>(Type::kBinary) &&
         v.data()[5] == '0' && v.data()[6] == '\0' && static_cast<uint8_t>(v.data()[kPayloadAt + 4]) == 0xA7 &&
         std::memcmp(v.data() + kMagicAt, kMagic, kMagicSize) == 0;
}

size_t BagSize(ValueView v) { return IsBag(v) ? CountOf(v) : 1; }

void ExpandBag(ValueView v, std::vector<ValueView>* out) {
  if (!IsBag(v)) {
    out->push_back(v);
    return;
  }
  const DocumentView doc = v.as_document();
  auto it = doc.begin();
  for (++it; it != doc.end(); ++it) out->push_back(it->value);
}

Value MakeBag(const std::vector<ValueView>& values) {
  std::string doc = Header();
  uint32_t n = 0;
  for (ValueView v : values) AppendElement(&doc, ++n, v);
  return Seal(std::move(doc), n);
}

Value AppendToBag(ValueView bag, ValueView v) {
  std::string doc(bag.data(), bag.size() - 1);  // without the trailing NUL
  const uint32_t n = CountOf(bag) + 1;
  AppendElement(&doc, n, v);
  return Seal(std::move(doc), n);
}

}  // namespace aviary::js
