// PluginStore: the plugin libraries of submitted jobs, kept by their SHA-256 so that workers on
// any host can fetch exactly the library the job was submitted with. Libraries live in a spool
// directory next to the coordinator and, with a metadata store, in MongoDB as well, so a standby
// that takes over can serve them too.
//
// Thread safety: safe for concurrent use.
#ifndef AVIARY_COORDINATOR_PLUGIN_STORE_H_
#define AVIARY_COORDINATOR_PLUGIN_STORE_H_

#include <map>
#include <mutex>
#include <string>

#include "common/env.h"
#include "common/status.h"
#include "coordinator/metadata_store.h"

namespace aviary::coordinator {

class PluginStore {
 public:
  // `metadata` may be null (not owned).
  PluginStore(Env* env, std::string spool_dir, MetadataStore* metadata);

  // Stores `library`, which must hash to `sha256`; InvalidArgument otherwise.
  Status Put(const std::string& sha256, const std::string& library);
  // The library with that hash; NotFound if neither the spool nor the metadata store has it.
  StatusOr<std::string> Get(const std::string& sha256);
  // Forgets a library no kept job uses (spool copy and stored copy), unless it was Put within
  // the last minute: a submission stores its plugin just before the tracker records its job.
  Status Remove(const std::string& sha256);

 private:
  static bool IsSha256(const std::string& s);
  std::string PathFor(const std::string& sha256) const { return spool_dir_ + "/" + sha256 + ".so"; }

  Env* env_;
  const std::string spool_dir_;
  MetadataStore* metadata_;
  std::mutex mu_;
  std::map<std::string, int64_t> last_put_us_;  // GUARDED_BY(mu_); monotonic
};

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(const std::string& data);

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_PLUGIN_STORE_H_
