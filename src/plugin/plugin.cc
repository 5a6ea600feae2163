#include "plugin/plugin.h"

#include <dlfcn.h>

#include <exception>
#include <filesystem>
#include <system_error>
#include <utility>

namespace aviary {
namespace {

constexpr char kEntrySymbol[] = "aviary_plugin_entry";

std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  return ec ? path : abs.lexically_normal().string();
}

// Checks the versions before touching any other field, whose layout may differ.
Status CheckAbi(const std::string& path, const AviaryPluginInfo* info) {
  if (info->abi_version != AVIARY_PLUGIN_ABI_VERSION) {
    return FailedPrecondition(path + " was built for plugin ABI version " + std::to_string(info->abi_version) +
                              ", but this engine uses version " + std::to_string(AVIARY_PLUGIN_ABI_VERSION) +
                              "; rebuild the plugin against this engine's include/aviary");
  }
  if (info->info_size != sizeof(AviaryPluginInfo)) {
    return FailedPrecondition(path + " has a plugin info block of " + std::to_string(info->info_size) +
                              " bytes, but this engine expects " + std::to_string(sizeof(AviaryPluginInfo)) +
                              " (same ABI version " + std::to_string(AVIARY_PLUGIN_ABI_VERSION) +
                              ", mismatched headers); rebuild the plugin against this engine's include/aviary");
  }
  if (info->create == nullptr || info->destroy == nullptr) {
    return InvalidArgument(path + " is not a usable Aviary plugin (no create/destroy functions)");
  }
  return Status::OK();
}

}  // namespace

StatusOr<std::unique_ptr<Plugin>> Plugin::Open(const std::string& path) {
  // Absolute, so dlopen never searches LD_LIBRARY_PATH for a bare file name.
  const std::string abs = AbsolutePath(path);
  std::error_code ec;
  if (!std::filesystem::exists(abs, ec)) return NotFound("plugin " + path + ": no such file");
  void* handle = ::dlopen(abs.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* error = ::dlerror();
    return InvalidArgument(path + " is not a loadable shared library: " + (error ? error : "unknown error"));
  }
  using EntryFn = const AviaryPluginInfo* (*)();
  auto entry = reinterpret_cast<EntryFn>(::dlsym(handle, kEntrySymbol));
  const AviaryPluginInfo* info = entry ? entry() : nullptr;
  if (info == nullptr) {
    ::dlclose(handle);
    return InvalidArgument(path + " is not an Aviary plugin (no " + kEntrySymbol + " symbol)");
  }
  if (Status s = CheckAbi(path, info); !s.ok()) {
    ::dlclose(handle);
    return s;
  }
  return std::unique_ptr<Plugin>(new Plugin(abs, handle, info));
}

Plugin::~Plugin() { ::dlclose(handle_); }

StatusOr<JobPtr> Plugin::NewJob() const {
  Job* job = nullptr;
  try {
    job = info_->create();
  } catch (const std::exception& e) {
    return Internal("plugin " + std::string(name()) + ": creating the job threw: " + e.what());
  } catch (...) {
    return Internal("plugin " + std::string(name()) + ": creating the job threw a non-standard exception");
  }
  if (job == nullptr) return Internal("plugin " + std::string(name()) + ": creating the job returned null");
  return JobPtr(job, JobDeleter(info_->destroy));
}

}  // namespace aviary
