// The mapReduce command as MongoDB takes it ({mapReduce: "coll", map, reduce, finalize, query,
// sort, limit, scope, out, verbose, ...}), translated into an Aviary `javascript` job.
//
// Used by `aviary mapreduce` (the document from a file) and by the gateway (the document off
// the wire), so both accept and refuse exactly the same commands.
#ifndef AVIARY_MAPREDUCE_COMMAND_H_
#define AVIARY_MAPREDUCE_COMMAND_H_

#include <bson/bson.h>

#include <string>
#include <utility>

#include "client/submission.h"

namespace aviary::mapreduce {

// Owns a heap bson_t (bson_new, bson_new_from_json). Not a unique_ptr: bson_t's alignment
// attribute is dropped in template arguments, which GCC warns about.
class OwnedBson {
 public:
  explicit OwnedBson(bson_t* b = nullptr) : b_(b) {}
  OwnedBson(OwnedBson&& o) noexcept : b_(o.b_) { o.b_ = nullptr; }
  OwnedBson& operator=(OwnedBson&& o) noexcept {
    std::swap(b_, o.b_);
    return *this;
  }
  ~OwnedBson() {
    if (b_ != nullptr) bson_destroy(b_);
  }
  bson_t* get() const { return b_; }

 private:
  bson_t* b_;
};

// An error as MongoDB reports it: {ok: 0, errmsg, code, codeName}.
struct Error {
  int code = 0;
  std::string code_name;
  std::string message;
};

Error BadValue(std::string message);          // 2
Error FailedToParse(std::string message);     // 9
Error TypeMismatch(std::string message);      // 14
Error Unauthorized(std::string message);      // 13
Error InvalidNamespace(std::string message);  // 73

// Where the command's namespaces live.
struct Target {
  // The MongoDB server the job reads and writes, as a URI whose path (a database name, if any)
  // is ignored: mongodb://HOST:PORT[/DB][?OPTIONS].
  std::string uri;
  // The database of the command when it names none itself (its `$db`); from the URI's path
  // when empty.
  std::string db;
};

// What a parsed command asks for.
struct Request {
  std::string in_db, in_coll;
  bool inline_out = false;
  std::string out_db, out_coll;  // when !inline_out
  bool out_db_given = false;     // the reply names {db, collection} then, as MongoDB does
  bool verbose = false;
  std::string out_mode = "replace";  // replace | merge | reduce (when !inline_out)
  int64_t max_time_ms = 0;           // maxTimeMS: cancel the job and fail past it (0: no limit)
  client::JobOptions job;        // the `javascript` job that computes it
};

// Translates `command` (whose first field is mapReduce) into a request. On a command MongoDB
// would refuse, or one that Aviary cannot run yet (sort, limit), returns false with `*error`.
bool ParseCommand(const bson_t* command, const Target& target, Request* request, Error* error);

// The URI with its path replaced by DB.COLL, keeping host list and options.
std::string CollectionUri(const std::string& uri, const std::string& db, const std::string& coll);
// The database named by the URI's path ("" when none).
std::string UriDatabase(const std::string& uri);

}  // namespace aviary::mapreduce

#endif  // AVIARY_MAPREDUCE_COMMAND_H_
