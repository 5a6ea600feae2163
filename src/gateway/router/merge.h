// Merging what the shards return into the answer one server would give: the find's sorted,
// skipped and limited union, the projection a shard must use so that the gateway can still
// filter orphans and sort, and partial $group results combined.
//
// Thread safety: pure functions over plain values.
#ifndef AVIARY_GATEWAY_ROUTER_MERGE_H_
#define AVIARY_GATEWAY_ROUTER_MERGE_H_

#include <bson/bson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/mongo/sort_limit.h"

namespace aviary::gateway::router {

// The projection sent to the shards for a user's projection and the top-level fields the
// gateway needs in each document (the shard key, the sort fields), and what to strip after.
struct ProjectionPlan {
  std::string shard_projection;  // BSON; empty: no projection (whole documents)
  std::vector<std::string> strip;  // top-level fields added for the gateway only
};

// `user` (BSON, may be empty) is an inclusion projection when it includes any field other than
// _id, else an exclusion one. Inclusion: needed fields not included are added; exclusion:
// needed fields excluded are no longer excluded; either way they are stripped afterwards.
ProjectionPlan PlanProjection(std::string_view user, const std::vector<std::string>& needed);

// `doc` (BSON) without the top-level fields in `strip`.
std::string Strip(std::string_view doc, const std::vector<std::string>& strip);

// The documents of all shards (each shard's already filtered of orphans) as one result: in
// `sort` order when given (ties broken by _id, as storage/mongo's CompareForSort), else shard
// after shard; then `skip` dropped and at most `limit` kept (0: no limit).
std::vector<std::string> MergeSorted(const std::optional<mongo::SortSpec>& sort, std::vector<mongo::Candidate> docs,
                                     int64_t skip, int64_t limit);

// Combines $group results computed on each shard: documents with equal _id (MongoDB's value
// order) become one, every other field summed ($sum and $count partials; int32 widens to int64
// and then double as MongoDB's $sum does). Order: first appearance.
std::vector<std::string> MergeGroups(const std::vector<std::string>& partials);

// The sum of two numeric BSON values (as one-field documents' values) into `out` under `key`;
// non-numbers count as 0, as $sum ignores them.
void AppendSum(const bson_iter_t* a, const bson_iter_t* b, const char* key, bson_t* out);

}  // namespace aviary::gateway::router

#endif  // AVIARY_GATEWAY_ROUTER_MERGE_H_
