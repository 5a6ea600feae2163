#include "common/private_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace aviary {
namespace {

Status Refuse(const std::string& path, const std::string& why) {
  return FailedPrecondition("refusing data directory " + path + ": " + why);
}

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

Status EnsurePrivateDir(const std::string& path) {
  if (path.empty()) return InvalidArgument("empty data directory path");
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return IOError("cannot create data directory " + path + ": " + std::strerror(errno));
  }
  // lstat first so a symlink is named as such; then open without following and check the
  // very inode we opened, so a swap between the two checks is caught too.
  struct stat link_st {};
  if (::lstat(path.c_str(), &link_st) != 0) return IOError("cannot stat " + path + ": " + std::strerror(errno));
  if (S_ISLNK(link_st.st_mode)) return Refuse(path, "it is a symlink");
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Refuse(path, std::string("cannot open it as a directory: ") + std::strerror(errno));
  struct stat st {};
  const int rc = ::fstat(fd, &st);
  ::close(fd);
  if (rc != 0) return IOError("cannot stat " + path + ": " + std::strerror(errno));
  if (st.st_ino != link_st.st_ino || st.st_dev != link_st.st_dev) return Refuse(path, "it changed while being checked");
  if (!S_ISDIR(st.st_mode)) return Refuse(path, "not a directory");
  if (st.st_uid != ::geteuid()) {
    return Refuse(path, "owned by uid " + std::to_string(st.st_uid) + ", not by us (uid " + std::to_string(::geteuid()) + ")");
  }
  if ((st.st_mode & 077) != 0) return Refuse(path, "mode " + Octal(st.st_mode) + " is wider than 0700");
  return Status::OK();
}

StatusOr<std::string> PrivateBaseDir() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime != nullptr && runtime[0] == '/') {
    std::string base = std::string(runtime) + "/aviary";
    RETURN_IF_ERROR(EnsurePrivateDir(base));
    return base;
  }
  std::string base = "/tmp/aviary-" + std::to_string(::geteuid());
  RETURN_IF_ERROR(EnsurePrivateDir(base));
  return base;
}

StatusOr<std::string> DefaultDaemonDir(std::string_view daemon) {
  StatusOr<std::string> base = PrivateBaseDir();
  if (!base.ok()) return base.status();
  std::string dir = *base + "/" + std::string(daemon) + "-" + std::to_string(::getpid());
  RETURN_IF_ERROR(EnsurePrivateDir(dir));
  return dir;
}

}  // namespace aviary
