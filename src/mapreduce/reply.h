// MongoDB's reply to mapReduce, built from a finished Aviary job: {result | results, timeMillis,
// counts: {input, emit, reduce, output}, and with verbose timing {mapTime, shuffleTime, reduceTime,
// commitTime, total}, ok: 1} (the 4.2 shape, which every driver accepts), and
// error replies {ok: 0, errmsg, code, codeName}.
#ifndef AVIARY_MAPREDUCE_REPLY_H_
#define AVIARY_MAPREDUCE_REPLY_H_

#include <bson/bson.h>

#include <cstdint>
#include <string>

#include "common/status.h"
#include "mapreduce/command.h"
#include "rpc/aviary.pb.h"

namespace aviary::mapreduce {

struct Counts {
  int64_t input = 0, emit = 0, reduce = 0, output = 0;
};

// The job's counts as the coordinator derives them from its engine counters (JobStatus.counts).
Counts CountsOf(const rpc::JobStatus& job);

// Appends the success reply to the empty `reply`. `inline_results` holds the inline output as
// JSON lines ({"_id": ..., "value": ...}); ignored unless the request is inline. False with
// `*error` if a line does not parse.
bool BuildReply(const Request& request, const rpc::JobStatus& job, const std::string& inline_results,
                int64_t millis, bson_t* reply, Error* error);

// Appends {ok: 0, errmsg, code, codeName} to the empty `reply`.
void BuildErrorReply(const Error& error, bson_t* reply);

// An Aviary status as the MongoDB error that means the same.
Error ErrorFromStatus(const Status& status);

// The document as JSON for people (relaxed Extended JSON).
std::string ToRelaxedJson(const bson_t* doc);

}  // namespace aviary::mapreduce

#endif  // AVIARY_MAPREDUCE_REPLY_H_
