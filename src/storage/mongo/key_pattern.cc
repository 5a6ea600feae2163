#include "storage/mongo/key_pattern.h"

#include <cstring>

#include "storage/mongo/bson_walk.h"
#include "storage/mongo/handles.h"
#include "storage/mongo/shard_key.h"

namespace aviary::mongo {
namespace {

// True for the document {aviary: "minKey"} / {aviary: "maxKey"}; `*max` tells which.
bool IsSentinel(const uint8_t* data, uint32_t len, bool* max) {
  BsonWalker w(reinterpret_cast<const char*>(data), len);
  BsonElement inner, extra;
  if (!w.Next(&inner) || w.Next(&extra) || inner.name != kSentinelField || inner.type != 0x02) return false;
  const std::string_view text(inner.payload + 4, inner.size - 5);
  if (text != kMinKeySentinel && text != kMaxKeySentinel) return false;
  *max = text == kMaxKeySentinel;
  return true;
}

// MinKey/MaxKey in either spelling; `*max` tells which.
bool IsMinOrMaxKey(const bson_iter_t* it, bool* max) {
  const bson_type_t type = bson_iter_type(it);
  if (type == BSON_TYPE_MINKEY || type == BSON_TYPE_MAXKEY) {
    *max = type == BSON_TYPE_MAXKEY;
    return true;
  }
  if (type != BSON_TYPE_DOCUMENT) return false;
  const uint8_t* data = nullptr;
  uint32_t len = 0;
  bson_iter_document(it, &len, &data);
  return IsSentinel(data, len, max);
}

bool IsOne(const BsonElement& e) {
  const ValueView v = e.view();
  return v.is_number() && v.as_double() == 1.0;
}

}  // namespace

StatusOr<KeyPattern> ParseKeyPattern(std::string_view bson) {
  KeyPattern key;
  key.bson = std::string(bson);
  BsonWalker w(bson.data(), bson.size());
  BsonElement e;
  while (w.Next(&e)) {
    if (e.type == 0x02 && std::string_view(e.payload + 4, e.size - 5) == "hashed") {
      if (key.hashed()) return InvalidArgument("shard key " + BsonToShortJson(bson) + " has more than one hashed field");
      key.hashed_field = static_cast<int>(key.fields.size());
    } else if (!IsOne(e)) {
      return InvalidArgument("shard key " + BsonToShortJson(bson) + ": field '" + std::string(e.name) +
                             "' must be 1 or \"hashed\"");
    }
    key.fields.emplace_back(e.name);
  }
  if (w.malformed() || key.fields.empty()) return InvalidArgument("malformed or empty shard key pattern");
  return key;
}

StatusOr<std::string> NormalizeBound(std::string_view bound, const KeyPattern& key) {
  auto mismatch = [&] {
    return InvalidArgument("chunk bound " + BsonToShortJson(bound) + " does not match shard key " + BsonToShortJson(key.bson));
  };
  BsonView in(bound);
  bson_iter_t it;
  if (!in.ok() || !bson_iter_init(&it, in.get())) return mismatch();
  ScopedBson out;
  size_t i = 0;
  for (; bson_iter_next(&it); ++i) {
    const char* name = bson_iter_key(&it);
    if (i >= key.fields.size() || key.fields[i] != name) return mismatch();
    bool max = false;
    if (!IsMinOrMaxKey(&it, &max)) {
      bson_append_iter(out.get(), name, -1, &it);
    } else if (max) {
      BSON_APPEND_MAXKEY(out.get(), name);
    } else {
      BSON_APPEND_MINKEY(out.get(), name);
    }
  }
  if (i != key.fields.size()) return mismatch();
  return std::string(out.bytes());
}

int CompareBounds(std::string_view a, std::string_view b) {
  BsonWalker wa(a.data(), a.size()), wb(b.data(), b.size());
  BsonElement ea, eb;
  while (true) {
    const bool ha = wa.Next(&ea), hb = wb.Next(&eb);
    if (!ha || !hb) return static_cast<int>(ha) - static_cast<int>(hb);
    if (const int c = CompareKeyValues(ea.view(), eb.view())) return c;
  }
}

void AppendStorableMinMaxKey(bson_t* doc, const char* field, bool max) {
  bson_t child;
  bson_append_document_begin(doc, field, -1, &child);
  const std::string sentinel_field(kSentinelField);
  const std::string_view text = max ? kMaxKeySentinel : kMinKeySentinel;
  bson_append_utf8(&child, sentinel_field.c_str(), -1, text.data(), static_cast<int>(text.size()));
  bson_append_document_end(doc, &child);
}

std::string BsonToShortJson(std::string_view bson) {
  BsonView view(bson);
  if (!view.ok()) return "<malformed BSON>";
  size_t len = 0;
  char* json = bson_as_relaxed_extended_json(view.get(), &len);
  if (json == nullptr) return "<malformed BSON>";
  std::string out(json, len);
  bson_free(json);
  if (out.size() > 200) out = out.substr(0, 197) + "...";
  return out;
}

}  // namespace aviary::mongo
