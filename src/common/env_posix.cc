// The real Env: POSIX files and the monotonic clock.
#include <fcntl.h>
#include <glob.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "common/env.h"

namespace aviary {
namespace {

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  std::string msg = what + " " + path + ": " + std::strerror(err);
  if (err == ENOENT) return NotFound(msg);
  if (err == EACCES || err == EPERM) return PermissionDenied(msg);
  if (err == ENOSPC || err == EDQUOT) return ResourceExhausted(msg);
  return IOError(msg);
}

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) { buffer_.reserve(kBufferSize); }
  ~PosixWritableFile() override {
    if (fd_ >= 0) (void)Close();
  }

  Status Append(std::string_view data) override {
    if (buffer_.size() + data.size() <= kBufferSize) {
      buffer_.append(data);
      return Status::OK();
    }
    RETURN_IF_ERROR(FlushBuffer());
    if (data.size() >= kBufferSize) return WriteRaw(data);
    buffer_.append(data);
    return Status::OK();
  }

  Status Flush(bool sync) override {
    RETURN_IF_ERROR(FlushBuffer());
    if (sync && ::fdatasync(fd_) != 0) return ErrnoStatus("syncing", path_, errno);
    return Status::OK();
  }

  Status StartWriteback() override {
    RETURN_IF_ERROR(FlushBuffer());
    if (written_ > writeback_from_) {
      // Errors do not matter here: the final fdatasync reports any the disk has.
      (void)::sync_file_range(fd_, writeback_from_, written_ - writeback_from_, SYNC_FILE_RANGE_WRITE);
      writeback_from_ = written_;
    }
    return Status::OK();
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    Status s = FlushBuffer();
    if (::close(fd_) != 0 && s.ok()) s = ErrnoStatus("closing", path_, errno);
    fd_ = -1;
    return s;
  }

 private:
  static constexpr size_t kBufferSize = 1 << 20;

  Status FlushBuffer() {
    Status s = WriteRaw(buffer_);
    buffer_.clear();
    return s;
  }

  Status WriteRaw(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("writing", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      written_ += n;
    }
    return Status::OK();
  }

  std::string path_;
  int fd_;
  std::string buffer_;
  off_t written_ = 0;         // bytes written to fd_ (opened empty, so also its size)
  off_t writeback_from_ = 0;  // where the next StartWriteback() begins
};

class PosixSequentialFile : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }

  Status Read(size_t n, char* scratch, std::string_view* result) override {
    while (true) {
      ssize_t r = ::read(fd_, scratch, n);
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("reading", path_, errno);
      }
      *result = std::string_view(scratch, static_cast<size_t>(r));
      return Status::OK();
    }
  }

  Status Skip(uint64_t n) override {
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0) return ErrnoStatus("seeking", path_, errno);
    return Status::OK();
  }

 private:
  std::string path_;
  int fd_;
};

class PosixMappedFile : public MappedFile {
 public:
  PosixMappedFile(void* base, size_t size) : base_(base), size_(size) {}
  ~PosixMappedFile() override {
    if (size_ > 0) ::munmap(base_, size_);
  }
  std::string_view data() const override { return {static_cast<const char*>(base_), size_}; }

  void Prefetch(size_t offset, size_t length) override {
    static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t begin = offset / page * page;
    if (begin >= size_) return;
    const size_t end = std::min(size_, offset + length);
    char* base = static_cast<char*>(base_);
    // MADV_POPULATE_READ (Linux 5.14) fails harmlessly on older kernels: the pages then fault in.
    (void)::madvise(base + begin, end - begin, MADV_POPULATE_READ);
    const size_t next_begin = end / page * page;
    const size_t next_end = std::min(size_, end + length);
    if (next_begin < next_end) (void)::madvise(base + next_begin, next_end - next_begin, MADV_WILLNEED);
  }

  void Release(size_t offset, size_t length) override {
    static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t end = std::min(size_, offset + length) / page * page;
    const size_t begin = (offset + page - 1) / page * page;
    if (begin < end) ::madvise(static_cast<char*>(base_) + begin, end - begin, MADV_DONTNEED);
  }

 private:
  void* const base_;
  const size_t size_;
};

class PosixRandomAccessFile : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Status Read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const override {
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd_, scratch + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("reading", path_, errno);
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    *result = std::string_view(scratch, got);
    return Status::OK();
  }

 private:
  std::string path_;
  int fd_;
};

class PosixEnv : public Env {
 public:
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("creating", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    ASSIGN_OR_RETURN(int fd, OpenForRead(path));
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return std::unique_ptr<SequentialFile>(new PosixSequentialFile(path, fd));
  }

  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    ASSIGN_OR_RETURN(int fd, OpenForRead(path));
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, fd));
  }

  StatusOr<std::unique_ptr<MappedFile>> MapFile(const std::string& path) override {
    ASSIGN_OR_RETURN(int fd, OpenForRead(path));
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      const int error = errno;
      ::close(fd);
      return ErrnoStatus("stat", path, error);
    }
    const size_t size = static_cast<size_t>(st.st_size);
    void* base = nullptr;
    if (size > 0) {  // mmap refuses a length of 0
      base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (base == MAP_FAILED) {
        const int error = errno;
        ::close(fd);
        return ErrnoStatus("mapping", path, error);
      }
    }
    ::close(fd);  // the mapping keeps the file
    return std::unique_ptr<MappedFile>(new PosixMappedFile(base, size));
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  StatusOr<FileKind> GetFileKind(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
    if (S_ISREG(st.st_mode)) return FileKind::kRegular;
    if (S_ISDIR(st.st_mode)) return FileKind::kDirectory;
    if (S_ISFIFO(st.st_mode)) return FileKind::kFifo;
    if (S_ISSOCK(st.st_mode)) return FileKind::kSocket;
    if (S_ISCHR(st.st_mode)) return FileKind::kCharDevice;
    if (S_ISBLK(st.st_mode)) return FileKind::kBlockDevice;
    return FileKind::kOther;
  }

  StatusOr<std::string> CanonicalPath(const std::string& path) override {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
    if (ec) return ErrnoStatus("resolving", path, ec.value());
    std::string out = p.lexically_normal().string();
    while (out.size() > 1 && out.back() == '/') out.pop_back();  // "dir/" and "dir" are one place
    return out;
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("renaming " + from + " to", to, errno);
    return Status::OK();
  }

  Status DeleteFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("deleting", path, errno);
    return Status::OK();
  }

  Status CreateDirs(const std::string& path) override {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return ErrnoStatus("creating directory", path, ec.value());
    return Status::OK();
  }

  Status DeleteRecursively(const std::string& path) override {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return ErrnoStatus("deleting", path, ec.value());
    return Status::OK();
  }

  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      names.push_back(entry.path().filename().string());
    }
    if (ec) return ErrnoStatus("listing", dir, ec.value());
    return names;
  }

  StatusOr<std::vector<std::string>> Glob(const std::string& pattern) override {
    glob_t g{};
    // A missing directory just matches nothing; an unreadable one is an error worth reporting.
    auto on_error = [](const char*, int err) { return (err == ENOENT || err == ENOTDIR) ? 0 : 1; };
    int rc = ::glob(pattern.c_str(), 0, on_error, &g);
    std::vector<std::string> paths;
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
    }
    ::globfree(&g);
    if (rc == GLOB_NOMATCH) return paths;
    if (rc != 0) return IOError("cannot expand " + pattern + ": a directory on the way is unreadable");
    return paths;  // glob() sorts its results
  }

  int64_t NowMicros() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  int64_t NowUnixMicros() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  void SleepForMicros(int64_t micros) override { std::this_thread::sleep_for(std::chrono::microseconds(micros)); }

 private:
  static StatusOr<int> OpenForRead(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("opening", path, errno);
    return fd;
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();
  return env;
}

const char* FileKindName(FileKind kind) {
  switch (kind) {
    case FileKind::kRegular: return "regular file";
    case FileKind::kDirectory: return "directory";
    case FileKind::kFifo: return "FIFO";
    case FileKind::kSocket: return "socket";
    case FileKind::kCharDevice: return "character device";
    case FileKind::kBlockDevice: return "block device";
    case FileKind::kOther: break;
  }
  return "special file";
}

Status ReadFileToString(Env* env, const std::string& path, std::string* contents) {
  ASSIGN_OR_RETURN(auto file, env->NewSequentialFile(path));
  contents->clear();
  std::string scratch(1 << 16, '\0');
  while (true) {
    std::string_view chunk;
    RETURN_IF_ERROR(file->Read(scratch.size(), scratch.data(), &chunk));
    if (chunk.empty()) return Status::OK();
    contents->append(chunk);
  }
}

Status WriteFileAtomically(Env* env, const std::string& path, std::string_view contents, Durability durability) {
  const std::string tmp = path + ".tmp";
  {
    ASSIGN_OR_RETURN(auto file, env->NewWritableFile(tmp));
    Status s = file->Append(contents);
    if (s.ok()) s = file->Flush(/*sync=*/durability == Durability::kSynced);
    if (s.ok()) s = file->Close();
    if (!s.ok()) {
      (void)env->DeleteFile(tmp);
      return s;
    }
  }
  return env->RenameFile(tmp, path);
}

}  // namespace aviary
