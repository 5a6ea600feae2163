// Test helpers for the storage tests: test files and an Env that fails on demand
// (LevelDB's ErrorEnv idea). Not part of any library.
#ifndef AVIARY_STORAGE_FILES_TEST_UTIL_H_
#define AVIARY_STORAGE_FILES_TEST_UTIL_H_

#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "common/env.h"
#include "common/scratch_dir.h"

namespace aviary {

// Writes `contents` to `path` with the real Env; aborts on failure (test setup must work).
inline void WriteTestFile(const std::string& path, std::string_view contents) {
  auto file = Env::Default()->NewWritableFile(path);
  if (!file.ok() || !(*file)->Append(contents).ok() || !(*file)->Close().ok()) std::abort();
}

inline std::string ReadTestFile(const std::string& path) {
  std::string contents;
  if (!ReadFileToString(Env::Default(), path, &contents).ok()) return "<unreadable>";
  return contents;
}

// Fails the operations its public knobs select; forwards everything else. Not thread-safe.
class FaultEnv : public EnvWrapper {
 public:
  explicit FaultEnv(Env* target = Env::Default()) : EnvWrapper(target) {}

  // Writable files fail Append once this many bytes were appended in total (all files); -1: never.
  int64_t fail_writes_after_bytes = -1;
  // Sequential reads fail once this many bytes were read in total; -1: never.
  int64_t fail_reads_after_bytes = -1;
  // Opening a file for reading fails with PermissionDenied when its path contains this.
  std::string unreadable;
  // RenameFile fails when the destination contains this.
  std::string fail_rename_to;
  // NewWritableFile fails when the path contains this.
  std::string fail_create;

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override {
    if (Matches(to, fail_rename_to)) return IOError("renaming " + from + " to " + to + ": injected failure");
    return EnvWrapper::RenameFile(from, to);
  }

 private:
  friend class FaultWritableFile;
  friend class FaultSequentialFile;
  static bool Matches(const std::string& path, const std::string& pattern) {
    return !pattern.empty() && path.find(pattern) != std::string::npos;
  }
  int64_t written_ = 0;
  int64_t read_ = 0;
};

class FaultWritableFile : public WritableFile {
 public:
  FaultWritableFile(std::string path, std::unique_ptr<WritableFile> base, FaultEnv* env)
      : path_(std::move(path)), base_(std::move(base)), env_(env) {}
  Status Append(std::string_view data) override {
    const int64_t limit = env_->fail_writes_after_bytes;
    if (limit >= 0 && env_->written_ + static_cast<int64_t>(data.size()) > limit) {
      return ResourceExhausted("writing " + path_ + ": No space left on device (injected)");
    }
    env_->written_ += static_cast<int64_t>(data.size());
    return base_->Append(data);
  }
  Status Flush(bool sync) override { return base_->Flush(sync); }
  Status Close() override { return base_->Close(); }

 private:
  std::string path_;
  std::unique_ptr<WritableFile> base_;
  FaultEnv* env_;  // not owned
};

class FaultSequentialFile : public SequentialFile {
 public:
  FaultSequentialFile(std::string path, std::unique_ptr<SequentialFile> base, FaultEnv* env)
      : path_(std::move(path)), base_(std::move(base)), env_(env) {}
  Status Read(size_t n, char* scratch, std::string_view* result) override {
    const int64_t limit = env_->fail_reads_after_bytes;
    if (limit >= 0 && env_->read_ >= limit) return IOError("reading " + path_ + ": Input/output error (injected)");
    RETURN_IF_ERROR(base_->Read(n, scratch, result));
    env_->read_ += static_cast<int64_t>(result->size());
    return Status::OK();
  }
  Status Skip(uint64_t n) override { return base_->Skip(n); }

 private:
  std::string path_;
  std::unique_ptr<SequentialFile> base_;
  FaultEnv* env_;  // not owned
};

inline StatusOr<std::unique_ptr<WritableFile>> FaultEnv::NewWritableFile(const std::string& path) {
  if (Matches(path, fail_create)) return IOError("creating " + path + ": injected failure");
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> base, EnvWrapper::NewWritableFile(path));
  return std::unique_ptr<WritableFile>(new FaultWritableFile(path, std::move(base), this));
}

inline StatusOr<std::unique_ptr<SequentialFile>> FaultEnv::NewSequentialFile(const std::string& path) {
  if (Matches(path, unreadable)) return PermissionDenied("opening " + path + ": Permission denied (injected)");
  ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> base, EnvWrapper::NewSequentialFile(path));
  return std::unique_ptr<SequentialFile>(new FaultSequentialFile(path, std::move(base), this));
}

}  // namespace aviary

#endif  // AVIARY_STORAGE_FILES_TEST_UTIL_H_
