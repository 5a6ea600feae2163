// RAII owners for libmongoc/libbson handles: every handle this module creates is held by one of
// these, so no early return can leak it.
//
// Thread safety: as the wrapped handle (none of them may be shared across threads).
#ifndef AVIARY_STORAGE_MONGO_HANDLES_H_
#define AVIARY_STORAGE_MONGO_HANDLES_H_

#include <mongoc/mongoc.h>

#include <memory>
#include <string_view>
#include <utility>

namespace aviary::mongo {

struct MongocDeleter {
  void operator()(mongoc_uri_t* p) const { mongoc_uri_destroy(p); }
  void operator()(mongoc_collection_t* p) const { mongoc_collection_destroy(p); }
  void operator()(mongoc_database_t* p) const { mongoc_database_destroy(p); }
  void operator()(mongoc_cursor_t* p) const { mongoc_cursor_destroy(p); }
  void operator()(mongoc_bulk_operation_t* p) const { mongoc_bulk_operation_destroy(p); }
  void operator()(mongoc_read_prefs_t* p) const { mongoc_read_prefs_destroy(p); }
};

using UriPtr = std::unique_ptr<mongoc_uri_t, MongocDeleter>;
using CollectionPtr = std::unique_ptr<mongoc_collection_t, MongocDeleter>;
using DatabasePtr = std::unique_ptr<mongoc_database_t, MongocDeleter>;
using CursorPtr = std::unique_ptr<mongoc_cursor_t, MongocDeleter>;
using BulkPtr = std::unique_ptr<mongoc_bulk_operation_t, MongocDeleter>;
using ReadPrefsPtr = std::unique_ptr<mongoc_read_prefs_t, MongocDeleter>;
// Owns a heap bson_t (bson_new, bson_new_from_json, bson_copy...). Not a unique_ptr: bson_t's
// alignment attribute is dropped (with a warning) in template arguments.
class BsonPtr {
 public:
  BsonPtr() = default;
  explicit BsonPtr(bson_t* b) : b_(b) {}
  BsonPtr(BsonPtr&& o) noexcept : b_(o.b_) { o.b_ = nullptr; }
  BsonPtr& operator=(BsonPtr&& o) noexcept {
    std::swap(b_, o.b_);
    return *this;
  }
  ~BsonPtr() {
    if (b_ != nullptr) bson_destroy(b_);
  }
  bson_t* get() const { return b_; }
  explicit operator bool() const { return b_ != nullptr; }

 private:
  bson_t* b_ = nullptr;
};

// A bson_t on the stack (or as a member), initialised empty and destroyed with its scope.
class ScopedBson {
 public:
  ScopedBson() { bson_init(&b_); }
  ScopedBson(const ScopedBson&) = delete;
  ScopedBson& operator=(const ScopedBson&) = delete;
  ~ScopedBson() { bson_destroy(&b_); }

  bson_t* get() { return &b_; }
  const bson_t* get() const { return &b_; }
  // Empties the document (keeps it usable).
  void Reset() {
    bson_reinit(&b_);
  }
  std::string_view bytes() const {
    return std::string_view(reinterpret_cast<const char*>(bson_get_data(&b_)), b_.len);
  }

 private:
  bson_t b_;
};

// A read-only bson_t over bytes someone else owns (no copy). Empty on malformed input.
class BsonView {
 public:
  explicit BsonView(std::string_view bytes) {
    ok_ = bson_init_static(&b_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (!ok_) bson_init(&b_);
  }
  BsonView(const BsonView&) = delete;
  BsonView& operator=(const BsonView&) = delete;
  ~BsonView() { bson_destroy(&b_); }
  const bson_t* get() const { return &b_; }
  bool ok() const { return ok_; }

 private:
  bson_t b_;
  bool ok_ = false;
};

inline std::string_view BsonBytes(const bson_t* b) {
  return std::string_view(reinterpret_cast<const char*>(bson_get_data(b)), b->len);
}

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_HANDLES_H_
