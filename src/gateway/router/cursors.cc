#include "gateway/router/cursors.h"

namespace aviary::gateway::router {
namespace {

// An idle cursor is dropped after this long, as servers do (cursorTimeoutMillis: 10 min).
constexpr auto kIdleTimeout = std::chrono::minutes(10);

}  // namespace

void Cursors::AppendBatch(Open_& c, int64_t id, const char* batch_field, int64_t batch_size, bson_t* reply) {
  bson_t cursor, batch;
  BSON_APPEND_DOCUMENT_BEGIN(reply, "cursor", &cursor);
  BSON_APPEND_ARRAY_BEGIN(&cursor, batch_field, &batch);
  size_t bytes = 0;
  for (int64_t n = 0; c.next < c.docs.size() && n < batch_size; ++n) {
    const std::string& doc = c.docs[c.next];
    if (n > 0 && bytes + doc.size() > kMaxBatchBytes) break;
    bson_t d;
    bson_init_static(&d, reinterpret_cast<const uint8_t*>(doc.data()), doc.size());
    const std::string key = std::to_string(n);
    bson_append_document(&batch, key.c_str(), -1, &d);
    bytes += doc.size();
    ++c.next;
  }
  bson_append_array_end(&cursor, &batch);
  BSON_APPEND_INT64(&cursor, "id", c.next < c.docs.size() ? id : 0);
  BSON_APPEND_UTF8(&cursor, "ns", c.ns.c_str());
  bson_append_document_end(reply, &cursor);
  BSON_APPEND_DOUBLE(reply, "ok", 1);
}

void Cursors::Open(const std::string& ns, std::vector<std::string> docs, int64_t batch_size, bool single_batch,
                   bson_t* reply) {
  Open_ c{ns, std::move(docs), 0, std::chrono::steady_clock::now()};
  std::lock_guard<std::mutex> lock(mu_);
  ExpireIdle();
  const int64_t id = static_cast<int64_t>((uint64_t{0x4176} << 48) | static_cast<uint64_t>(next_id_++));
  AppendBatch(c, id, "firstBatch", batch_size > 0 ? batch_size : kDefaultFirstBatch, reply);
  if (!single_batch && c.next < c.docs.size()) open_.emplace(id, std::move(c));
}

bool Cursors::More(int64_t id, int64_t batch_size, bson_t* reply) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = open_.find(id);
  if (it == open_.end()) return false;
  it->second.used = std::chrono::steady_clock::now();
  AppendBatch(it->second, id, "nextBatch", batch_size > 0 ? batch_size : INT64_MAX, reply);
  if (it->second.next >= it->second.docs.size()) open_.erase(it);
  return true;
}

bool Cursors::Kill(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  return open_.erase(id) > 0;
}

void Cursors::ExpireIdle() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = open_.begin(); it != open_.end();) {
    it = now - it->second.used > kIdleTimeout ? open_.erase(it) : std::next(it);
  }
}

}  // namespace aviary::gateway::router
