#include "mapreduce/reply.h"

#include <limits>
#include <sstream>

namespace aviary::mapreduce {

namespace {

void AppendCount(bson_t* doc, const char* name, int64_t n) {
  // MongoDB sends 32-bit counts while they fit.
  if (n <= std::numeric_limits<int32_t>::max()) {
    BSON_APPEND_INT32(doc, name, static_cast<int32_t>(n));
  } else {
    BSON_APPEND_INT64(doc, name, n);
  }
}

bool AppendResults(const std::string& lines, bson_t* reply, Error* error) {
  bson_t results;
  BSON_APPEND_ARRAY_BEGIN(reply, "results", &results);
  std::istringstream in(lines);
  std::string line;
  uint32_t i = 0;
  bool ok = true;
  while (ok && std::getline(in, line)) {
    if (line.empty()) continue;
    bson_error_t e;
    bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(line.data()), static_cast<ssize_t>(line.size()), &e);
    if (doc == nullptr) {
      *error = {1, "InternalError", std::string("inline result line does not parse: ") + e.message};
      ok = false;
      break;
    }
    const std::string key = std::to_string(i++);
    BSON_APPEND_DOCUMENT(&results, key.c_str(), doc);
    bson_destroy(doc);
  }
  bson_append_array_end(reply, &results);
  return ok;
}

// verbose: MongoDB's `timing` document, with Aviary's phases (mapTime and reduceTime as MongoDB
// names them; shuffleTime and commitTime are Aviary's own).
void AppendTiming(const rpc::MapReduceCounts& counts, int64_t millis, bson_t* reply) {
  bson_t timing;
  BSON_APPEND_DOCUMENT_BEGIN(reply, "timing", &timing);
  BSON_APPEND_INT64(&timing, "mapTime", static_cast<int64_t>(counts.map_millis()));
  BSON_APPEND_INT64(&timing, "shuffleTime", static_cast<int64_t>(counts.shuffle_millis()));
  BSON_APPEND_INT64(&timing, "reduceTime", static_cast<int64_t>(counts.reduce_millis()));
  BSON_APPEND_INT64(&timing, "commitTime", static_cast<int64_t>(counts.commit_millis()));
  BSON_APPEND_INT64(&timing, "total", millis);
  bson_append_document_end(reply, &timing);
}

}  // namespace

Counts CountsOf(const rpc::JobStatus& job) {
  Counts c;
  c.input = static_cast<int64_t>(job.counts().input());
  c.emit = static_cast<int64_t>(job.counts().emit());
  c.reduce = static_cast<int64_t>(job.counts().reduce());
  c.output = static_cast<int64_t>(job.counts().output());
  return c;
}

bool BuildReply(const Request& request, const rpc::JobStatus& job, const std::string& inline_results, int64_t millis,
                bson_t* reply, Error* error) {
  if (request.inline_out) {
    if (!AppendResults(inline_results, reply, error)) return false;
  } else if (request.out_db_given) {
    bson_t result;
    BSON_APPEND_DOCUMENT_BEGIN(reply, "result", &result);
    BSON_APPEND_UTF8(&result, "db", request.out_db.c_str());
    BSON_APPEND_UTF8(&result, "collection", request.out_coll.c_str());
    bson_append_document_end(reply, &result);
  } else {
    BSON_APPEND_UTF8(reply, "result", request.out_coll.c_str());
  }
  AppendCount(reply, "timeMillis", millis);
  const Counts c = CountsOf(job);
  bson_t counts;
  BSON_APPEND_DOCUMENT_BEGIN(reply, "counts", &counts);
  AppendCount(&counts, "input", c.input);
  AppendCount(&counts, "emit", c.emit);
  AppendCount(&counts, "reduce", c.reduce);
  AppendCount(&counts, "output", c.output);
  bson_append_document_end(reply, &counts);
  if (request.verbose) AppendTiming(job.counts(), millis, reply);
  BSON_APPEND_DOUBLE(reply, "ok", 1.0);
  return true;
}

void BuildErrorReply(const Error& error, bson_t* reply) {
  BSON_APPEND_DOUBLE(reply, "ok", 0.0);
  BSON_APPEND_UTF8(reply, "errmsg", error.message.c_str());
  BSON_APPEND_INT32(reply, "code", error.code);
  BSON_APPEND_UTF8(reply, "codeName", error.code_name.c_str());
}

Error ErrorFromStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument: return BadValue(status.message());
    case StatusCode::kNotFound: return {26, "NamespaceNotFound", status.message()};
    case StatusCode::kPermissionDenied: return Unauthorized(status.message());
    case StatusCode::kUnauthenticated: return {18, "AuthenticationFailed", status.message()};
    case StatusCode::kUnavailable: return {6, "HostUnreachable", status.message()};
    case StatusCode::kDeadlineExceeded: return {50, "MaxTimeMSExpired", status.message()};
    default: return {1, "InternalError", status.message()};
  }
}

std::string ToRelaxedJson(const bson_t* doc) {
  size_t len = 0;
  char* s = bson_as_relaxed_extended_json(doc, &len);
  std::string out(s, len);
  bson_free(s);
  return out;
}

}  // namespace aviary::mapreduce
