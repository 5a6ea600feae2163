#include "storage/files/overlap.h"

#include <fnmatch.h>

#include <vector>

namespace aviary {
namespace {

bool HasWildcard(const std::string& component) { return component.find_first_of("*?[") != std::string::npos; }

bool Matches(const std::string& pattern, const std::string& path) {
  return ::fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0;
}

// `path` and each of its parents, itself first: "/a/b" -> "/a/b", "/a", "/".
std::vector<std::string> SelfAndParents(std::string path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    out.push_back(path);
    if (path == "/") break;
    const size_t slash = path.rfind('/');
    path = slash == 0 ? "/" : path.substr(0, slash);
  }
  return out;
}

std::string DirPart(const std::string& glob) {
  const size_t slash = glob.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : glob.substr(0, slash);
}

Status Refuse(const std::string& dir, const std::string& why) {
  return InvalidArgument("output directory " + dir + " " + why +
                         ": its part files would land among the job's input (choose an output outside the input)");
}

Status CheckDirs(const std::string& dir, const InputFootprint& input) {
  for (const std::string& read : input.file_dirs) {
    if (dir == read) return Refuse(dir, "is the input's directory");
  }
  return Status::OK();
}

Status CheckGlob(const std::string& dir, const std::string& glob) {
  const std::string dir_pattern = DirPart(glob);
  for (const std::string& place : SelfAndParents(dir)) {
    if (Matches(glob, place)) return Refuse(dir, "is matched by the input glob " + glob + " (at " + place + ")");
    if (place == dir && Matches(dir_pattern, place)) return Refuse(dir, "is a directory the input glob " + glob + " reads");
  }
  for (const char* written : {"part-00000.jsonl", "_SUCCESS", "_COMMITTING", "_temporary"}) {
    if (Matches(glob, dir + "/" + written)) return Refuse(dir, "holds files the input glob " + glob + " matches");
  }
  return Status::OK();
}

}  // namespace

std::string CanonicalGlob(Env* env, const std::string& glob) {
  size_t fixed_end = 0;  // end of the fixed directory part
  for (size_t pos = 0; pos < glob.size();) {
    size_t next = glob.find('/', pos);
    if (next == std::string::npos) break;  // the last component is a name, never resolved
    if (HasWildcard(glob.substr(pos, next - pos))) break;
    fixed_end = next;
    pos = next + 1;
  }
  const bool absolute = glob.starts_with("/");
  // No fixed part: the root (absolute) or the current directory.
  const std::string fixed = fixed_end != 0 ? glob.substr(0, fixed_end) : std::string(1, absolute ? '/' : '.');
  const std::string rest = fixed_end != 0 ? glob.substr(fixed_end + 1) : glob.substr(absolute ? 1 : 0);
  StatusOr<std::string> canonical = env->CanonicalPath(fixed);
  if (!canonical.ok()) return glob;
  return *canonical == "/" ? "/" + rest : *canonical + "/" + rest;
}

Status CheckFilesOutputSparesInput(Env* env, const std::string& dir, const InputFootprint& input) {
  ASSIGN_OR_RETURN(const std::string canonical, env->CanonicalPath(dir));
  RETURN_IF_ERROR(CheckDirs(canonical, input));
  for (const std::string& glob : input.file_globs) RETURN_IF_ERROR(CheckGlob(canonical, glob));
  return Status::OK();
}

}  // namespace aviary
