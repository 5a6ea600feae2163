// Test helper: runs aviary-shardserver (embedded FerretDB) processes on port 0 in temporary
// directories, so integration tests talk to a real MongoDB wire-protocol server.
//
// Thread safety: not thread-safe; one owner per object.
#ifndef AVIARY_STORAGE_MONGO_TEST_SHARDSERVER_H_
#define AVIARY_STORAGE_MONGO_TEST_SHARDSERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/status.h"

namespace aviary::mongo::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ShardServer {
 public:
  // Starts `binary` (default: the build's aviary-shardserver) on 127.0.0.1:0 with its data in a
  // new temporary directory, and waits for its "ready" line (at most 60 s).
  static StatusOr<std::unique_ptr<ShardServer>> Start(const std::string& binary = AVIARY_SHARDSERVER);

  ShardServer(const ShardServer&) = delete;
  ShardServer& operator=(const ShardServer&) = delete;
  // SIGTERM, then waits (SIGKILL after 10 s).
  ~ShardServer();

  // "mongodb://127.0.0.1:PORT/"
  const std::string& uri() const { return uri_; }
  // "127.0.0.1:PORT", as config.shards host strings spell it.
  std::string host() const;
  // `uri()` with a DB.COLL path: "mongodb://127.0.0.1:PORT/db.coll".
  std::string CollectionUri(const std::string& ns) const { return uri_ + ns; }

 private:
  ShardServer() = default;

  std::unique_ptr<TempDir> dir_;
  pid_t pid_ = -1;
  std::string uri_;
};

}  // namespace aviary::mongo::testing

#endif  // AVIARY_STORAGE_MONGO_TEST_SHARDSERVER_H_
