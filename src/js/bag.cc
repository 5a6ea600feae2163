#include "js/bag.h"

#include <cstring>

namespace aviary::js {
namespace {

// int32 length 8, subtype 0xA7 (user-defined range), 8 bytes of magic.
constexpr char kMarker[] = "\x08\x00\x00\x00\xA7" "AvJsBag1";
constexpr size_t kMarkerSize = 13;

ValueView Marker() { return ValueView(Type::kBinary, kMarker, kMarkerSize); }

}  // namespace

bool IsBag(ValueView v) {
  if (!v.is_array() || v.size() < 4 + 3 + kMarkerSize) return false;
  const DocumentView doc = v.as_document();
  auto it = doc.begin();
  return it != doc.end() && it->name == "0" && it->value == Marker();
}

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
  ArrayBuilder bag;
  bag.Push(Marker());
  for (ValueView v : values) bag.Push(v);
  return bag.Finish();
}

}  // namespace aviary::js
