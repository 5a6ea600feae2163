// Connecting to MongoDB through libmongoc: driver initialisation, collection URIs, and a client
// handle that owns its mongoc_client_t.
//
// Thread safety: InitDriver, ParseCollectionUri, RedactUri and StatusFromBsonError are safe from
// any thread. A Client is used by one thread at a time (mongoc_client_t is not thread-safe).
#ifndef AVIARY_STORAGE_MONGO_MONGO_CLIENT_H_
#define AVIARY_STORAGE_MONGO_MONGO_CLIENT_H_

#include <mongoc/mongoc.h>

#include <memory>
#include <string>
#include <utility>

#include "common/status.h"

namespace aviary::mongo {

// Calls mongoc_init() once per process; cheap after the first call. Every function here that
// talks to a server calls it, so callers need not.
void InitDriver();

// libmongoc makes /dev/shm/mongoc-PID for its counters before main(); a process that is killed
// leaves it behind. Removes it (the mapping stays; nothing reads it) and sets MONGOC_DISABLE_SHM
// so that children make none. Call first thing in main(), while the process has one thread.
void ForgetDriverCountersFile();

// "mongodb://HOST:PORT/DB.COLL?opts" taken apart.
struct CollectionUri {
  std::string server_uri;  // "mongodb://HOST:PORT/?opts": no DB.COLL path; credentials and options kept
  std::string database;
  std::string collection;
};

// Parses "mongodb://[user:pass@]HOST:PORT[,HOST:PORT...]/DB.COLL[?opts]" (also mongodb+srv://).
// InvalidArgument naming what is wrong (missing database, missing collection, bad host...).
StatusOr<CollectionUri> ParseCollectionUri(const std::string& uri);

// Who a collection is, for telling whether two URIs name the same one: "HOSTS/DB.COLL" with the
// hosts lower case, "localhost" as 127.0.0.1, the default port made explicit and sorted;
// credentials and options left out.
std::string CollectionKey(const CollectionUri& uri);

// `uri` with the password (if any) replaced by "***", for messages and logs.
std::string RedactUri(const std::string& uri);

// The Status for a libmongoc/libbson error: "<context>: <driver message>" with a code that
// follows the error's nature (server selection and stream errors are Unavailable, auth errors
// Unauthenticated, others Internal).
Status StatusFromBsonError(const bson_error_t& error, const std::string& context);

// One connection pool-less client. Owns its mongoc_client_t.
class Client {
 public:
  // Connects to `server_uri` and pings it, waiting at most `timeout_ms` for a server.
  // Unavailable "cannot reach <redacted uri>: ..." when no server answers; InvalidArgument for a
  // URI that libmongoc rejects.
  static StatusOr<std::unique_ptr<Client>> Connect(const std::string& server_uri, int timeout_ms = 5000);

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // The driver handle; owned by this Client.
  mongoc_client_t* get() { return client_; }
  // The URI this client was connected with, redacted (for messages).
  const std::string& redacted_uri() const { return redacted_uri_; }

 private:
  Client(mongoc_client_t* client, std::string redacted_uri) : client_(client), redacted_uri_(std::move(redacted_uri)) {}

  mongoc_client_t* client_;
  std::string redacted_uri_;
};

}  // namespace aviary::mongo

#endif  // AVIARY_STORAGE_MONGO_MONGO_CLIENT_H_
