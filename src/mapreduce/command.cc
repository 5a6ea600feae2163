#include "mapreduce/command.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace aviary::mapreduce {

Error BadValue(std::string m) { return {2, "BadValue", std::move(m)}; }
Error FailedToParse(std::string m) { return {9, "FailedToParse", std::move(m)}; }
Error TypeMismatch(std::string m) { return {14, "TypeMismatch", std::move(m)}; }
Error Unauthorized(std::string m) { return {13, "Unauthorized", std::move(m)}; }
Error InvalidNamespace(std::string m) { return {73, "InvalidNamespace", std::move(m)}; }

namespace {

// A string element's value (embedded NULs kept). The length is read after the call: as an
// argument beside the call it could be read first.
std::string Utf8(const bson_iter_t* it) {
  uint32_t len = 0;
  const char* s = bson_iter_utf8(it, &len);
  return std::string(s, len);
}

// MongoDB's IDL errors for a missing or an unknown field.
Error Missing(std::string_view field) {
  return {40414, "Location40414", "BSON field 'mapReduce." + std::string(field) + "' is missing but a required field"};
}
Error Unknown(std::string_view field) {
  return {40415, "Location40415", "BSON field 'mapReduce." + std::string(field) + "' is an unknown field."};
}

// Generic command fields (sessions, concerns, API version, ...) and options that change
// nothing for Aviary: accepted and ignored, as mongos passes them on.
bool IsIgnoredField(std::string_view name) {
  static constexpr std::string_view kIgnored[] = {
      "jsMode", "bypassDocumentValidation", "comment", "writeConcern", "readConcern", "lsid",
      "txnNumber", "autocommit", "startTransaction", "apiVersion", "apiStrict", "apiDeprecationErrors",
      "readPreference", "mapparams"};
  if (!name.empty() && name[0] == '$') return true;  // $db, $clusterTime, $readPreference, ...
  for (std::string_view f : kIgnored) {
    if (f == name) return true;
  }
  return false;
}

std::string ToJson(const bson_t* doc) {
  size_t len = 0;
  char* s = bson_as_canonical_extended_json(doc, &len);
  std::string out(s, len);
  bson_free(s);
  return out;
}

bool IsNumber(const bson_iter_t* it) {
  const bson_type_t t = bson_iter_type(it);
  return t == BSON_TYPE_INT32 || t == BSON_TYPE_INT64 || t == BSON_TYPE_DOUBLE || t == BSON_TYPE_DECIMAL128;
}

// A function's source from a string, BSON code, or code with scope (whose scope joins `scope`).
bool ReadCode(bson_iter_t* it, std::string_view name, bson_t* scope, std::string* source, Error* error) {
  uint32_t len = 0;
  switch (bson_iter_type(it)) {
    case BSON_TYPE_UTF8:
      *source = Utf8(it);
      return true;
    case BSON_TYPE_CODE: {
      const char* code = bson_iter_code(it, &len);
      *source = std::string(code, len);
      return true;
    }
    case BSON_TYPE_CODEWSCOPE: {
      uint32_t scope_len = 0;
      const uint8_t* scope_bytes = nullptr;
      const char* code = bson_iter_codewscope(it, &len, &scope_len, &scope_bytes);
      *source = std::string(code, len);
      bson_t inner;
      if (bson_init_static(&inner, scope_bytes, scope_len)) bson_concat(scope, &inner);
      return true;
    }
    default:
      *error = TypeMismatch("BSON field 'mapReduce." + std::string(name) +
                            "' is the wrong type, expected a JavaScript function (code or string)");
      return false;
  }
}

bool ReadDocument(bson_iter_t* it, std::string_view name, bson_t* out, Error* error) {
  if (!BSON_ITER_HOLDS_DOCUMENT(it)) {
    *error = TypeMismatch("BSON field 'mapReduce." + std::string(name) + "' is the wrong type '" +
                          std::to_string(bson_iter_type(it)) + "', expected type 'object'");
    return false;
  }
  uint32_t len = 0;
  const uint8_t* data = nullptr;
  bson_iter_document(it, &len, &data);
  bson_t doc;
  if (!bson_init_static(&doc, data, len)) {
    *error = FailedToParse("BSON field 'mapReduce." + std::string(name) + "' is not a valid document");
    return false;
  }
  bson_copy_to(&doc, out);
  return true;
}

bool ReadOutDocument(bson_iter_t* out_it, Request* r, Error* error) {
  bson_iter_t it;
  if (!bson_iter_recurse(out_it, &it)) return (*error = FailedToParse("'out' is not a valid document"), false);
  std::string mode;
  while (bson_iter_next(&it)) {
    const std::string_view key = bson_iter_key(&it);
    if (key == "replace" || key == "merge" || key == "reduce" || key == "inline") {
      if (!mode.empty()) return (*error = BadValue("'out' names more than one output mode"), false);
      mode = key;
      if (key == "inline") continue;
      if (!BSON_ITER_HOLDS_UTF8(&it)) return (*error = TypeMismatch("'out." + mode + "' must be a collection name"), false);
      r->out_coll = Utf8(&it);
    } else if (key == "db") {
      if (!BSON_ITER_HOLDS_UTF8(&it)) return (*error = TypeMismatch("'out.db' must be a string"), false);
      r->out_db = Utf8(&it);
      r->out_db_given = true;
    } else if (key == "sharded" || key == "nonAtomic") {
      continue;  // Aviary's output is written per partition and committed once either way.
    } else {
      return (*error = BadValue("'out' has an unknown field '" + std::string(key) + "'"), false);
    }
  }
  if (mode.empty()) return (*error = BadValue("'out' must name one of replace, merge, reduce or inline"), false);
  r->inline_out = mode == "inline";
  r->out_mode = r->inline_out ? "replace" : mode;
  if (r->inline_out && r->out_db_given) return (*error = BadValue("'out.db' makes no sense with inline output"), false);
  return true;
}

bool ReadOut(bson_iter_t* it, Request* r, Error* error) {
  if (BSON_ITER_HOLDS_UTF8(it)) {
    r->out_coll = Utf8(it);
    r->out_mode = "replace";
    return true;
  }
  if (BSON_ITER_HOLDS_DOCUMENT(it)) return ReadOutDocument(it, r, error);
  *error = TypeMismatch("'out' has to be a string or an object");
  return false;
}

// The pieces of the command before they become a job.
struct Parts {
  std::string map, reduce, finalize;
  bson_t scope = BSON_INITIALIZER;
  bson_t query = BSON_INITIALIZER;
  bson_t sort = BSON_INITIALIZER;
  int64_t limit = 0;  // 0: every document, as MongoDB
  bool has_out = false;
  bool reduce_single = false;  // Aviary's reduceSingle: reduce one-value keys too, as MongoDB 4.4+
  ~Parts() {
    bson_destroy(&scope);
    bson_destroy(&query);
    bson_destroy(&sort);
  }
};

// {field: 1 | -1, ...}: MongoDB's sort of the input before `limit` (an empty one sorts nothing).
bool ReadSort(bson_iter_t* it, Parts* p, Error* error) {
  bson_t sort;
  if (!ReadDocument(it, "sort", &sort, error)) return false;
  bson_iter_t field;
  bool ok = bson_iter_init(&field, &sort);
  while (ok && bson_iter_next(&field)) {
    const double direction = IsNumber(&field) ? bson_iter_as_double(&field) : 0;
    if (direction != 1 && direction != -1) {
      *error = BadValue("mapReduce 'sort' on '" + std::string(bson_iter_key(&field)) +
                        "': the order must be 1 (ascending) or -1 (descending)");
      ok = false;
    }
  }
  if (ok) {
    bson_destroy(&p->sort);
    bson_steal(&p->sort, &sort);
  } else {
    bson_destroy(&sort);
  }
  return ok;
}

// A whole number (an integral double too, as MongoDB's safeInt64 takes it); 0 means none.
bool ReadLimit(bson_iter_t* it, Parts* p, Error* error) {
  if (!IsNumber(it) || bson_iter_type(it) == BSON_TYPE_DECIMAL128) {
    *error = TypeMismatch("BSON field 'mapReduce.limit' is the wrong type, expected a number");
    return false;
  }
  const double d = bson_iter_as_double(it);
  if (bson_iter_type(it) == BSON_TYPE_DOUBLE && (d != std::trunc(d) || std::fabs(d) >= 9.2e18)) {
    *error = BadValue("mapReduce 'limit' must be a whole number");
    return false;
  }
  p->limit = bson_iter_as_int64(it);
  if (p->limit < 0) {
    *error = BadValue("mapReduce 'limit' must not be negative");
    return false;
  }
  return true;
}

bool ReadField(bson_iter_t* it, Parts* p, Request* r, Error* error) {
  const std::string_view key = bson_iter_key(it);
  const bson_type_t type = bson_iter_type(it);
  const bool absent = type == BSON_TYPE_NULL || type == BSON_TYPE_UNDEFINED;
  if (key == "map") return ReadCode(it, key, &p->scope, &p->map, error);
  if (key == "reduce") return ReadCode(it, key, &p->scope, &p->reduce, error);
  if (key == "finalize") return absent || ReadCode(it, key, &p->scope, &p->finalize, error);
  if (key == "out") return (p->has_out = true, ReadOut(it, r, error));
  if (key == "verbose") return (r->verbose = bson_iter_as_bool(it), true);
  if (key == "query") {
    if (absent) return true;
    bson_t q;
    if (!ReadDocument(it, key, &q, error)) return false;
    bson_destroy(&p->query);
    bson_steal(&p->query, &q);
    return true;
  }
  if (key == "scope") {
    if (absent) return true;
    bson_t s;
    if (!ReadDocument(it, key, &s, error)) return false;
    bson_concat(&p->scope, &s);
    bson_destroy(&s);
    return true;
  }
  if (key == "sort") return absent || ReadSort(it, p, error);
  if (key == "limit") return absent || ReadLimit(it, p, error);
  if (key == "maxTimeMS") {
    if (absent) return true;
    if (!IsNumber(it) || bson_iter_type(it) == BSON_TYPE_DECIMAL128 || bson_iter_as_int64(it) < 0) {
      *error = BadValue("maxTimeMS must be a non-negative number");
      return false;
    }
    r->max_time_ms = bson_iter_as_int64(it);
    return true;
  }
  if (key == "reduceSingle") {  // not MongoDB's: see docs/javascript.md
    if (type != BSON_TYPE_BOOL) {
      *error = TypeMismatch("BSON field 'mapReduce.reduceSingle' is the wrong type, expected a boolean");
      return false;
    }
    p->reduce_single = bson_iter_bool(it);
    return true;
  }
  if (IsIgnoredField(key)) return true;
  *error = Unknown(key);
  return false;
}

bool ReadCollection(bson_iter_t* it, Request* r, Error* error) {
  const std::string_view first = bson_iter_key(it);
  if (first != "mapReduce" && first != "mapreduce") {
    *error = FailedToParse("not a mapReduce command: it starts with '" + std::string(first) + "'");
    return false;
  }
  if (!BSON_ITER_HOLDS_UTF8(it) || (r->in_coll = Utf8(it)).empty()) {
    *error = InvalidNamespace("collection name must be a non-empty string");
    return false;
  }
  return true;
}

std::string CommandDb(const bson_t* command, const Target& target) {
  bson_iter_t it;
  if (bson_iter_init_find(&it, command, "$db") && BSON_ITER_HOLDS_UTF8(&it)) return Utf8(&it);
  return target.db.empty() ? UriDatabase(target.uri) : target.db;
}

void BuildJob(const Parts& p, const Target& target, Request* r) {
  client::JobOptions& job = r->job;
  job.job = "javascript";
  job.input = CollectionUri(target.uri, r->in_db, r->in_coll);
  job.output = r->inline_out ? "inline" : CollectionUri(target.uri, r->out_db, r->out_coll);
  job.params = {"map=" + p.map, "reduce=" + p.reduce};
  if (!p.finalize.empty()) job.params.push_back("finalize=" + p.finalize);
  if (!bson_empty(&p.scope)) job.params.push_back("scope=" + ToJson(&p.scope));
  if (p.reduce_single) job.params.push_back("reduce_single=true");
  if (!bson_empty(&p.query)) job.input_options["query"] = ToJson(&p.query);
  // The MongoDB source applies them as mapReduce does: after the query, the global first
  // `limit` in `sort` order across shards (storage/mongo/sort_limit.h). A sort without a limit
  // selects every document, so it changes nothing but the order map sees them in: not passed.
  if (p.limit > 0) {
    job.input_options["limit"] = std::to_string(p.limit);
    if (!bson_empty(&p.sort)) job.input_options["sort"] = ToJson(&p.sort);
  }
  if (!r->inline_out) job.output_options["out-mode"] = r->out_mode;
}

}  // namespace

bool ParseCommand(const bson_t* command, const Target& target, Request* r, Error* error) {
  *r = Request();
  bson_iter_t it;
  if (!bson_iter_init(&it, command) || !bson_iter_next(&it)) {
    *error = FailedToParse("empty mapReduce command");
    return false;
  }
  if (!ReadCollection(&it, r, error)) return false;
  Parts parts;
  while (bson_iter_next(&it)) {
    if (!ReadField(&it, &parts, r, error)) return false;
  }
  if (parts.map.empty()) return (*error = Missing("map"), false);
  if (parts.reduce.empty()) return (*error = Missing("reduce"), false);
  if (!parts.has_out) return (*error = Missing("out"), false);
  r->in_db = CommandDb(command, target);
  if (r->in_db.empty()) {
    *error = InvalidNamespace("no database: give one in the URI (mongodb://HOST:PORT/DB), with --db or as $db");
    return false;
  }
  if (!r->inline_out && !r->out_db_given) r->out_db = r->in_db;
  if (!r->inline_out && r->out_coll.empty()) return (*error = InvalidNamespace("the output collection name is empty"), false);
  BuildJob(parts, target, r);
  return true;
}

namespace {

// Offsets of the URI's path ("/..." up to '?' or the end), after the host list.
void SplitUri(const std::string& uri, size_t* path_begin, size_t* path_end) {
  const size_t scheme = uri.find("://");
  const size_t hosts = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t query = uri.find('?', hosts);
  const size_t slash = uri.find('/', hosts);
  *path_end = query == std::string::npos ? uri.size() : query;
  *path_begin = slash == std::string::npos || slash > *path_end ? *path_end : slash;
}

}  // namespace

std::string CollectionUri(const std::string& uri, const std::string& db, const std::string& coll) {
  size_t begin = 0, end = 0;
  SplitUri(uri, &begin, &end);
  return uri.substr(0, begin) + "/" + db + "." + coll + uri.substr(end);
}

std::string UriDatabase(const std::string& uri) {
  size_t begin = 0, end = 0;
  SplitUri(uri, &begin, &end);
  if (begin == end) return "";
  std::string path = uri.substr(begin + 1, end - begin - 1);
  const size_t dot = path.find('.');  // mongodb://H/DB.COLL names a database too
  return dot == std::string::npos ? path : path.substr(0, dot);
}

}  // namespace aviary::mapreduce
