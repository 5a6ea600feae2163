#include "storage/mongo/mongo_client.h"

#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <string_view>
#include <vector>

#include "storage/mongo/driver_preinit.h"
#include "storage/mongo/handles.h"

namespace aviary::mongo {
namespace {

constexpr std::string_view kSchemes[] = {"mongodb://", "mongodb+srv://"};

// Length of the scheme prefix of `uri`, or 0 when it is not a MongoDB URI.
size_t SchemeLength(std::string_view uri) {
  for (std::string_view s : kSchemes) {
    if (uri.starts_with(s)) return s.size();
  }
  return 0;
}

// MongoDB's rules for database names (the ones a URI can break).
Status CheckDatabaseName(std::string_view db, const std::string& uri) {
  if (db.empty()) return InvalidArgument("MongoDB URI " + uri + " names no database: expected mongodb://HOST:PORT/DB.COLL");
  if (db.size() > 63) return InvalidArgument("database name '" + std::string(db) + "' in " + uri + " is longer than 63 bytes");
  if (db.find_first_of("/\\. \"$*<>:|?") != std::string_view::npos) {
    return InvalidArgument("database name '" + std::string(db) + "' in " + uri + " contains a character MongoDB forbids (/\\. \"$*<>:|?)");
  }
  return Status::OK();
}

Status CheckCollectionName(std::string_view coll, const std::string& uri) {
  if (coll.empty()) {
    return InvalidArgument("MongoDB URI " + uri + " names no collection: expected mongodb://HOST:PORT/DB.COLL");
  }
  if (coll.starts_with("system.")) return InvalidArgument("collection '" + std::string(coll) + "' in " + uri + " is a system collection");
  if (coll.find('$') != std::string_view::npos) {
    return InvalidArgument("collection name '" + std::string(coll) + "' in " + uri + " contains '$'");
  }
  return Status::OK();
}

// Stripping the path would change the default auth database from DB to admin; keep it.
std::string AddAuthSource(std::string options, std::string_view authority, std::string_view db) {
  const bool has_credentials = authority.find('@') != std::string_view::npos;
  if (!has_credentials || options.find("authSource=") != std::string::npos ||
      options.find("authsource=") != std::string::npos) {
    return options;
  }
  return options.empty() ? "authSource=" + std::string(db) : options + "&authSource=" + std::string(db);
}

// libmongoc prints its own errors to stderr; every failure that matters here reaches the caller
// as a Status carrying the same text, so the driver's lines go to the debug log instead (among
// them the harmless "endSessions" warning FerretDB provokes at client destruction).
void LogToSpdlog(mongoc_log_level_t level, const char* domain, const char* message, void*) {
  if (level == MONGOC_LOG_LEVEL_TRACE) return;
  spdlog::debug("libmongoc {} {}: {}", mongoc_log_level_str(level), domain, message);
}

}  // namespace

void InitDriver() {
  static std::once_flag once;
  std::call_once(once, [] {
    mongoc_init();
    mongoc_log_set_handler(LogToSpdlog, nullptr);
    const preinit::EarlyDriverState early = preinit::EarlyState();
    for (size_t i = 0; i < early.line_count; ++i) {
      LogToSpdlog(early.lines[i].level, early.lines[i].domain, early.lines[i].message, nullptr);
    }
    if (early.lines_dropped > 0) spdlog::debug("libmongoc: {} more lines before main() not kept", early.lines_dropped);
  });
}

void ForgetDriverCountersFile() {
  if (preinit::EarlyState().made_counters_file) {
    const std::string name = "/mongoc-" + std::to_string(getpid());
    shm_unlink(name.c_str());
  }
  setenv("MONGOC_DISABLE_SHM", "1", /*overwrite=*/0);
}

StatusOr<CollectionUri> ParseCollectionUri(const std::string& uri) {
  const std::string redacted = RedactUri(uri);
  const size_t scheme = SchemeLength(uri);
  if (scheme == 0) return InvalidArgument("'" + redacted + "' is not a MongoDB URI: expected mongodb://HOST:PORT/DB.COLL");
  const size_t slash = uri.find('/', scheme);
  const size_t query = uri.find('?', scheme);
  if (slash == std::string::npos || (query != std::string::npos && query < slash)) {
    return InvalidArgument("MongoDB URI " + redacted + " names no database and collection: expected mongodb://HOST:PORT/DB.COLL");
  }
  const std::string_view authority = std::string_view(uri).substr(scheme, slash - scheme);
  if (authority.empty() || authority.back() == '@') return InvalidArgument("MongoDB URI " + redacted + " names no host");
  const std::string_view path =
      std::string_view(uri).substr(slash + 1, (query == std::string::npos ? uri.size() : query) - slash - 1);
  const size_t dot = path.find('.');
  CollectionUri out;
  out.database = std::string(path.substr(0, dot));
  out.collection = dot == std::string_view::npos ? std::string() : std::string(path.substr(dot + 1));
  RETURN_IF_ERROR(CheckDatabaseName(out.database, redacted));
  RETURN_IF_ERROR(CheckCollectionName(out.collection, redacted));
  const std::string options = AddAuthSource(query == std::string::npos ? "" : uri.substr(query + 1), authority, out.database);
  out.server_uri = uri.substr(0, slash) + "/" + (options.empty() ? "" : "?" + options);

  InitDriver();
  bson_error_t error;
  UriPtr parsed(mongoc_uri_new_with_error(out.server_uri.c_str(), &error));
  if (!parsed) return InvalidArgument("invalid MongoDB URI " + redacted + ": " + error.message);
  return out;
}

std::string RedactUri(const std::string& uri) {
  const size_t scheme = SchemeLength(uri);
  if (scheme == 0) return uri;
  const size_t authority_end = std::min(uri.find('/', scheme), uri.find('?', scheme));
  const size_t at = uri.rfind('@', authority_end == std::string::npos ? std::string::npos : authority_end);
  if (at == std::string::npos || at < scheme) return uri;
  const size_t colon = uri.find(':', scheme);
  if (colon == std::string::npos || colon > at) return uri;  // user name only
  return uri.substr(0, colon + 1) + "***" + uri.substr(at);
}

Status StatusFromBsonError(const bson_error_t& error, const std::string& context) {
  std::string message = context + ": " + error.message;
  switch (error.domain) {
    case MONGOC_ERROR_STREAM:
    case MONGOC_ERROR_SERVER_SELECTION:
      return Unavailable(std::move(message));
    case MONGOC_ERROR_CLIENT:
      if (error.code == MONGOC_ERROR_CLIENT_AUTHENTICATE) return Unauthenticated(std::move(message));
      return Internal(std::move(message));
    case MONGOC_ERROR_BSON:
    case MONGOC_ERROR_COMMAND:
      if (error.code == MONGOC_ERROR_COMMAND_INVALID_ARG) return InvalidArgument(std::move(message));
      return Internal(std::move(message));
    default:
      break;
  }
  // Server errors (domain MONGOC_ERROR_SERVER, MONGOC_ERROR_QUERY...): MongoDB error codes.
  switch (error.code) {
    case 2: case 9: case 14: case 73: return InvalidArgument(std::move(message));  // BadValue, FailedToParse, TypeMismatch, InvalidNamespace
    case 13: return PermissionDenied(std::move(message));                       // Unauthorized
    case 18: return Unauthenticated(std::move(message));                        // AuthenticationFailed
    case 26: return NotFound(std::move(message));                               // NamespaceNotFound
    case 48: case 11000: return AlreadyExists(std::move(message));              // NamespaceExists, DuplicateKey
    case 50: return DeadlineExceeded(std::move(message));                       // MaxTimeMSExpired
    case 6: case 7: case 89: case 91: case 189: return Unavailable(std::move(message));  // host unreachable, shutdown...
    default: return Internal(std::move(message));
  }
}

std::string CollectionKey(const CollectionUri& uri) {
  std::string hosts = uri.server_uri;
  const size_t scheme = hosts.find("://");
  if (scheme != std::string::npos) hosts = hosts.substr(scheme + 3);
  hosts = hosts.substr(0, hosts.find('/'));
  if (const size_t at = hosts.rfind('@'); at != std::string::npos) hosts = hosts.substr(at + 1);
  std::vector<std::string> list;
  for (size_t pos = 0; pos <= hosts.size();) {
    size_t comma = hosts.find(',', pos);
    if (comma == std::string::npos) comma = hosts.size();
    std::string host = hosts.substr(pos, comma - pos);
    for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (host.starts_with("localhost")) host = "127.0.0.1" + host.substr(9);
    if (!host.empty() && host.back() != ']' && host.find(':') == std::string::npos) host += ":27017";
    if (!host.empty()) list.push_back(host);
    pos = comma + 1;
  }
  std::sort(list.begin(), list.end());
  std::string key;
  for (const std::string& host : list) key += (key.empty() ? "" : ",") + host;
  return key + "/" + uri.database + "." + uri.collection;
}

StatusOr<std::unique_ptr<Client>> Client::Connect(const std::string& server_uri, int timeout_ms) {
  InitDriver();
  std::string redacted = RedactUri(server_uri);
  bson_error_t error;
  UriPtr uri(mongoc_uri_new_with_error(server_uri.c_str(), &error));
  if (!uri) return InvalidArgument("invalid MongoDB URI " + redacted + ": " + error.message);
  // The URI's own timeouts win; otherwise fail within `timeout_ms` rather than libmongoc's 30 s.
  if (!mongoc_uri_has_option(uri.get(), MONGOC_URI_SERVERSELECTIONTIMEOUTMS)) {
    mongoc_uri_set_option_as_int32(uri.get(), MONGOC_URI_SERVERSELECTIONTIMEOUTMS, timeout_ms);
  }
  if (!mongoc_uri_has_option(uri.get(), MONGOC_URI_CONNECTTIMEOUTMS)) {
    mongoc_uri_set_option_as_int32(uri.get(), MONGOC_URI_CONNECTTIMEOUTMS, timeout_ms);
  }
  if (!mongoc_uri_has_option(uri.get(), MONGOC_URI_APPNAME)) mongoc_uri_set_appname(uri.get(), "aviary");
  mongoc_client_t* raw = mongoc_client_new_from_uri_with_error(uri.get(), &error);
  if (raw == nullptr) return InvalidArgument("cannot use MongoDB URI " + redacted + ": " + error.message);
  std::unique_ptr<Client> client(new Client(raw, redacted));
  mongoc_client_set_error_api(raw, MONGOC_ERROR_API_VERSION_2);

  ScopedBson ping, reply;
  BSON_APPEND_INT32(ping.get(), "ping", 1);
  if (!mongoc_client_command_simple(raw, "admin", ping.get(), nullptr, reply.get(), &error)) {
    Status s = StatusFromBsonError(error, "cannot reach " + redacted);
    if (s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kInternal) {
      return Unavailable("cannot reach " + redacted + ": " + error.message);
    }
    return s;
  }
  return client;
}

Client::~Client() { mongoc_client_destroy(client_); }

}  // namespace aviary::mongo
