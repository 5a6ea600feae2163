// Env: every file and clock access that tests need to break goes through here (LevelDB's idea).
// Env::Default() is the real POSIX file system and clocks; tests wrap it to fail writes, lose
// files or move either clock by hand.
//
// Thread safety: Env implementations are safe for concurrent use; file objects are not.
#ifndef AVIARY_COMMON_ENV_H_
#define AVIARY_COMMON_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace aviary {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Flushes buffered data to the OS (and to disk when `sync`).
  virtual Status Flush(bool sync) = 0;
  // Flushes buffered data to the OS and starts writing it to disk without waiting, so that the
  // final Flush(true) of a large file waits for its tail only. A hint: durability still takes
  // Flush(true).
  virtual Status StartWriteback() { return Flush(/*sync=*/false); }
  virtual Status Close() = 0;
};

class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to `n` bytes into `scratch`; `*result` is empty at end of file.
  virtual Status Read(size_t n, char* scratch, std::string_view* result) = 0;
  virtual Status Skip(uint64_t n) = 0;
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to `n` bytes at `offset` into `scratch`; shorter only at end of file.
  virtual Status Read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const = 0;
};

// What a path names, as stat(2) sees it (symlinks followed).
enum class FileKind { kRegular, kDirectory, kFifo, kSocket, kCharDevice, kBlockDevice, kOther };

// "regular file", "directory", "FIFO", "socket", "character device", ...: for messages.
const char* FileKindName(FileKind kind);

// A whole file mapped read-only, so that a large input is read without copying it out of the
// page cache. The bytes are the file's when it was mapped. A file truncated while mapped makes
// a read of its lost pages fault (SIGBUS); only job inputs are mapped, and changing those while
// a job reads them is an error anyway (the attempt fails and is retried).
class MappedFile {
 public:
  virtual ~MappedFile() = default;
  virtual std::string_view data() const = 0;
  // Drops the whole pages of [offset, offset + length) from this process's resident memory;
  // they stay in the page cache and are faulted back in if read again. So a task reading a
  // large mapped file through holds a window of it, not the file (memory limits count RSS).
  virtual void Release(size_t offset, size_t length) = 0;
  // Maps [offset, offset + length) in one call ahead of reading it, where touching the pages
  // takes a fault per 64 KiB, and a blocking read per readahead window of pages not in the page
  // cache; and starts reading [offset + length, offset + 2 * length) from disk in the
  // background. A hint: reads are correct without it.
  virtual void Prefetch(size_t offset, size_t length) = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  // The process-wide POSIX Env. Never deleted.
  static Env* Default();

  virtual StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  virtual StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) = 0;
  virtual StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) = 0;
  // `path` mapped whole. Unimplemented unless an Env can map: callers then read the file through
  // NewSequentialFile, so that a test's Env which breaks reads is read that way.
  virtual StatusOr<std::unique_ptr<MappedFile>> MapFile(const std::string& path) {
    return Unimplemented("this Env does not map files (" + path + ")");
  }

  virtual bool FileExists(const std::string& path) = 0;
  virtual StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;
  // Never opens the file, so a FIFO or device cannot block the caller.
  virtual StatusOr<FileKind> GetFileKind(const std::string& path) = 0;
  // `path` made absolute, with symlinks, "." and ".." resolved in the part that exists and the
  // rest appended as written (std::filesystem::weakly_canonical).
  virtual StatusOr<std::string> CanonicalPath(const std::string& path) = 0;
  // Atomically replaces `to` with `from` (POSIX rename).
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status DeleteFile(const std::string& path) = 0;
  virtual Status CreateDirs(const std::string& path) = 0;
  virtual Status DeleteRecursively(const std::string& path) = 0;
  // Names (not paths) of the entries of directory `dir`.
  virtual StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  // Paths matching a shell glob, sorted; an error if the pattern itself is malformed.
  virtual StatusOr<std::vector<std::string>> Glob(const std::string& pattern) = 0;

  // Monotonic microseconds, for timeouts and durations.
  virtual int64_t NowMicros() = 0;
  // Wall-clock microseconds since the Unix epoch, for times shown to people and stored ids.
  // Not monotonic: never measure a duration with it.
  virtual int64_t NowUnixMicros() = 0;
  virtual void SleepForMicros(int64_t micros) = 0;
};

// Forwards every call to another Env, except MapFile (so a wrapper that breaks reads is read
// through NewSequentialFile); tests derive from it and override what they break.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override { return target_->NewWritableFile(p); }
  StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& p) override { return target_->NewSequentialFile(p); }
  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& p) override { return target_->NewRandomAccessFile(p); }
  bool FileExists(const std::string& p) override { return target_->FileExists(p); }
  StatusOr<uint64_t> GetFileSize(const std::string& p) override { return target_->GetFileSize(p); }
  StatusOr<FileKind> GetFileKind(const std::string& p) override { return target_->GetFileKind(p); }
  StatusOr<std::string> CanonicalPath(const std::string& p) override { return target_->CanonicalPath(p); }
  Status RenameFile(const std::string& f, const std::string& t) override { return target_->RenameFile(f, t); }
  Status DeleteFile(const std::string& p) override { return target_->DeleteFile(p); }
  Status CreateDirs(const std::string& p) override { return target_->CreateDirs(p); }
  Status DeleteRecursively(const std::string& p) override { return target_->DeleteRecursively(p); }
  StatusOr<std::vector<std::string>> GetChildren(const std::string& d) override { return target_->GetChildren(d); }
  StatusOr<std::vector<std::string>> Glob(const std::string& p) override { return target_->Glob(p); }
  int64_t NowMicros() override { return target_->NowMicros(); }
  int64_t NowUnixMicros() override { return target_->NowUnixMicros(); }
  void SleepForMicros(int64_t m) override { target_->SleepForMicros(m); }

 private:
  Env* target_;  // not owned
};

// Reads a whole file into `*contents`.
Status ReadFileToString(Env* env, const std::string& path, std::string* contents);
// Whether a write must reach the disk before it counts as done.
enum class Durability {
  kSynced,    // survives a crash of the machine (state another process recovers from)
  kUnsynced,  // needed only while this machine stays up (files between a worker and its attempts)
};
// Writes `contents` to a temporary sibling, then renames it over `path`: readers never see a
// partial file.
Status WriteFileAtomically(Env* env, const std::string& path, std::string_view contents,
                           Durability durability = Durability::kSynced);

}  // namespace aviary

#endif  // AVIARY_COMMON_ENV_H_
