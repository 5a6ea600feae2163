// Finding a plugin file from the `aviary run JOB` argument.
#include <algorithm>
#include <filesystem>
#include <system_error>
#include <vector>

#include "plugin/plugin.h"

namespace aviary {
namespace {

// Names of the *.so files in `dir`, sorted; empty if it cannot be listed.
std::vector<std::string> ListBuiltins(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".so") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

std::string BuiltinPluginDir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "lib/aviary";
  return (exe.parent_path().parent_path() / "lib" / "aviary").string();
}

StatusOr<std::string> ResolvePlugin(const std::string& job_arg, const std::string& builtin_dir) {
  if (job_arg.empty()) return InvalidArgument("no job given: name a built-in job or a plugin .so file");
  std::error_code ec;
  if (job_arg.find('/') != std::string::npos || job_arg.ends_with(".so")) {
    const std::filesystem::path abs = std::filesystem::absolute(job_arg, ec);
    return ec ? job_arg : abs.lexically_normal().string();
  }
  const std::filesystem::path candidate = std::filesystem::path(builtin_dir) / (job_arg + ".so");
  if (std::filesystem::exists(candidate, ec)) return candidate.lexically_normal().string();
  const std::vector<std::string> builtins = ListBuiltins(builtin_dir);
  const std::string known = builtins.empty() ? "none installed in " + builtin_dir : JoinNames(builtins);
  return NotFound("unknown job '" + job_arg + "': not a built-in (" + known + ") and not a plugin path");
}

}  // namespace aviary
