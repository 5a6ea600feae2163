// Loading job plugins: shared libraries that define `aviary_plugin_entry` (see
// include/aviary/plugin.h), and finding them by built-in name or path.
//
// Thread safety: a Plugin is immutable after Open(); NewJob() may be called from any thread.
#ifndef AVIARY_PLUGIN_PLUGIN_H_
#define AVIARY_PLUGIN_PLUGIN_H_

#include <memory>
#include <string>
#include <string_view>

#include "aviary/plugin.h"
#include "common/env.h"
#include "common/status.h"

namespace aviary {

// Destroys a job with the plugin's own `destroy`, so the plugin's allocator frees it.
class JobDeleter {
 public:
  JobDeleter() = default;
  explicit JobDeleter(void (*destroy)(Job*)) : destroy_(destroy) {}
  void operator()(Job* job) const {
    if (job != nullptr) destroy_(job);
  }

 private:
  void (*destroy_)(Job*) = nullptr;
};

using JobPtr = std::unique_ptr<Job, JobDeleter>;

class Plugin {
 public:
  // Loads the plugin at `path` with dlopen(RTLD_NOW | RTLD_LOCAL) and checks its ABI. Errors:
  // NotFound (no such file), InvalidArgument (not a shared library, or no aviary_plugin_entry),
  // FailedPrecondition (built against another ABI version).
  static StatusOr<std::unique_ptr<Plugin>> Open(const std::string& path);

  // Unloads the library. REQUIRES: every job from NewJob() has been destroyed.
  ~Plugin();
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  // A new job object; Internal if the plugin's factory throws or returns null.
  StatusOr<JobPtr> NewJob() const;

  std::string_view name() const { return info_->name ? info_->name : ""; }
  std::string_view description() const { return info_->description ? info_->description : ""; }
  // The absolute path the library was loaded from.
  const std::string& path() const { return path_; }

 private:
  Plugin(std::string path, void* handle, const AviaryPluginInfo* info)
      : path_(std::move(path)), handle_(handle), info_(info) {}

  const std::string path_;
  void* const handle_;                  // from dlopen; closed by the destructor
  const AviaryPluginInfo* const info_;  // static data inside the library
};

// The directory of built-in plugins: <directory of this executable>/../lib/aviary.
std::string BuiltinPluginDir();

// The plugin file for the `aviary run JOB` argument: a path (it contains '/' or ends in ".so"),
// made absolute; or a built-in name, looked up as <builtin_dir>/<name>.so. NotFound for an
// unknown name, listing the built-ins that exist.
StatusOr<std::string> ResolvePlugin(const std::string& job_arg, const std::string& builtin_dir = BuiltinPluginDir());

// Lower-case hex SHA-256 of the file's contents, which identifies a plugin build.
StatusOr<std::string> Sha256File(const std::string& path, Env* env = Env::Default());

}  // namespace aviary

#endif  // AVIARY_PLUGIN_PLUGIN_H_
