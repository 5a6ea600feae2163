// The gateway's own cursors over merged results: a find or aggregate answered from several
// shards returns its first batch and keeps the rest here for getMore (drivers may send getMore
// on any of their connections, so the registry is gateway-wide).
//
// Ids have the high bits 0x4176 ("Av"), apart from the small ids a FerretDB server gives out,
// so a getMore for anything else is relayed to the config server.
//
// Thread safety: thread-safe.
#ifndef AVIARY_GATEWAY_ROUTER_CURSORS_H_
#define AVIARY_GATEWAY_ROUTER_CURSORS_H_

#include <bson/bson.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace aviary::gateway::router {

inline constexpr int64_t kDefaultFirstBatch = 101;  // what servers return without batchSize
// A batch stops growing past this many bytes, below the 16 MiB a reply document may hold.
inline constexpr size_t kMaxBatchBytes = 15u << 20;

class Cursors {
 public:
  // Whether `id` is one of the gateway's cursor ids (open or not).
  static bool IsOurs(int64_t id) { return (static_cast<uint64_t>(id) >> 48) == 0x4176; }

  // Appends the reply {cursor: {firstBatch, id, ns}, ok: 1} for `docs` to `reply`, keeping what
  // does not fit in the first batch (batch_size <= 0: the default) as a cursor unless
  // `single_batch`.
  void Open(const std::string& ns, std::vector<std::string> docs, int64_t batch_size, bool single_batch, bson_t* reply);

  // Appends the getMore reply {cursor: {nextBatch, id, ns}, ok: 1}; false (nothing appended)
  // when `id` is not open.
  bool More(int64_t id, int64_t batch_size, bson_t* reply);

  // Closes `id`; whether it was open.
  bool Kill(int64_t id);

 private:
  struct Open_ {
    std::string ns;
    std::vector<std::string> docs;
    size_t next = 0;
    std::chrono::steady_clock::time_point used;
  };
  // Appends {cursor: {<batch_field>: docs[next...], id, ns}, ok: 1}; advances `next`.
  static void AppendBatch(Open_& c, int64_t id, const char* batch_field, int64_t batch_size, bson_t* reply);
  void ExpireIdle();  // REQUIRES: mu_ held

  std::mutex mu_;
  std::map<int64_t, Open_> open_;  // guarded by mu_
  int64_t next_id_ = 1;            // guarded by mu_
};

}  // namespace aviary::gateway::router

#endif  // AVIARY_GATEWAY_ROUTER_CURSORS_H_
