#include "storage/files/files_output.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "storage/files/json_writer.h"
#include "storage/files/overlap.h"

namespace aviary {
namespace {

constexpr char kSuccess[] = "_SUCCESS";        // names the job whose result is complete here
constexpr char kCommitting[] = "_COMMITTING";  // names the job whose parts are being renamed in
constexpr char kTemporary[] = "_temporary";

bool IsResultFile(std::string_view name) {
  return name == kSuccess || name == kCommitting || (name.starts_with("part-") && name.ends_with(".jsonl"));
}

// Job ids become path components of directories that get deleted recursively.
Status CheckJobId(const std::string& job_id) {
  if (job_id.empty() || job_id == "." || job_id == ".." || job_id.find('/') != std::string::npos) {
    return InvalidArgument("invalid job id '" + job_id + "' for file output");
  }
  return Status::OK();
}

// Buffers encoded lines and hands them to the file in large appends.
class FilesWriter : public OutputWriter {
 public:
  FilesWriter(std::string path, std::unique_ptr<WritableFile> file) : path_(std::move(path)), file_(std::move(file)) {
    buffer_.reserve(kFlushBytes + 4096);
  }

  Status Write(ValueView key, ValueView value) override {
    if (!file_) return FailedPrecondition("write to closed output " + path_);
    AppendResultLine(key, value, &buffer_);
    return buffer_.size() >= kFlushBytes ? FlushBuffer() : Status::OK();
  }

  Status Close() override {
    if (!file_) return Status::OK();
    Status s = file_->Append(buffer_);  // the sync below writes it: no writeback hint first
    buffer_.clear();
    if (s.ok()) s = file_->Flush(/*sync=*/true);
    Status closed = file_->Close();
    file_.reset();
    return s.ok() ? closed : s;
  }

  std::string location() const override { return path_; }

 private:
  static constexpr size_t kFlushBytes = 256 << 10;

  // Each full buffer starts on its way to disk while the reduce goes on, so Close()'s sync
  // waits for the last one only (it took 4-12 ms of a reduce attempt's ~60 when it waited for all).
  Status FlushBuffer() {
    Status s = file_->Append(buffer_);
    buffer_.clear();
    return s.ok() ? file_->StartWriteback() : s;
  }

  const std::string path_;
  std::unique_ptr<WritableFile> file_;  // null once closed
  std::string buffer_;
};

class FilesOutput : public OutputFormat {
 public:
  FilesOutput(std::string dir, bool overwrite, Env* env) : dir_(std::move(dir)), overwrite_(overwrite), env_(env) {}

  Status SetupJob(const std::string& job_id) override;
  StatusOr<std::unique_ptr<OutputWriter>> OpenTaskWriter(const std::string& job_id, uint32_t partition,
                                                         uint32_t attempt) override;
  Status CommitJob(const std::string& job_id, const std::vector<CommittedPartition>& winners) override;
  Status AbortJob(const std::string& job_id) override;
  std::vector<std::string> LocalResultFiles(uint32_t partitions) const override {
    std::vector<std::string> files;
    for (uint32_t p = 0; p < partitions; ++p) files.push_back(FinalPath(p));
    return files;
  }
  std::string Describe() const override { return "files:" + dir_; }
  Status CheckSparesInput(const InputFootprint& input) const override {
    return CheckFilesOutputSparesInput(env_, dir_, input);
  }

 private:
  std::string TempRoot() const { return dir_ + "/" + kTemporary; }
  std::string JobTempDir(const std::string& job_id) const { return TempRoot() + "/" + job_id; }
  std::string FinalPath(uint32_t partition) const { return dir_ + "/" + PartFileName(partition); }

  // Whether DIR holds part files, _SUCCESS or _COMMITTING; false when DIR does not exist.
  StatusOr<bool> HoldsResult() const;
  // `resuming`: a commit of this job was under way, so a winner may be in place already.
  Status CheckWinners(const std::string& job_id, const std::vector<CommittedPartition>& winners, bool resuming) const;
  Status MakeRoomForResult();
  Status Promote(const std::vector<CommittedPartition>& winners, bool resuming);
  // Deletes the final files of the first `count` winners.
  void Demote(const std::vector<CommittedPartition>& winners, size_t count);
  // A marker file holding the job id; MarkerNames() tells whether it exists and names the job.
  Status WriteMarker(const char* name, const std::string& job_id);
  bool MarkerNames(const char* name, const std::string& job_id) const;
  Status RemoveTempDirs(const std::string& job_id);

  const std::string dir_;
  const bool overwrite_;
  Env* const env_;  // not owned
};

StatusOr<bool> FilesOutput::HoldsResult() const {
  StatusOr<std::vector<std::string>> children = env_->GetChildren(dir_);
  if (!children.ok()) {
    if (!env_->FileExists(dir_)) return false;
    return FailedPrecondition("output " + dir_ + " is not a usable directory: " + children.status().message());
  }
  return std::any_of(children->begin(), children->end(), [](const std::string& n) { return IsResultFile(n); });
}

Status FilesOutput::SetupJob(const std::string& job_id) {
  RETURN_IF_ERROR(CheckJobId(job_id));
  ASSIGN_OR_RETURN(const bool holds_result, HoldsResult());
  if (holds_result && !overwrite_) {
    return FailedPrecondition("output directory " + dir_ + " already holds a result (use --overwrite)");
  }
  return env_->CreateDirs(JobTempDir(job_id));
}

StatusOr<std::unique_ptr<OutputWriter>> FilesOutput::OpenTaskWriter(const std::string& job_id, uint32_t partition,
                                                                     uint32_t attempt) {
  RETURN_IF_ERROR(CheckJobId(job_id));
  char name[48];
  std::snprintf(name, sizeof name, "/attempt-%05u-%u", partition, attempt);
  // The job's directory is made when the job is set up and removed when it is aborted: an attempt
  // that outlived its job (its coordinator died and the next one cleaned up) must not bring it back.
  if (!env_->FileExists(JobTempDir(job_id))) {
    return FailedPrecondition("job " + job_id + " has ended: " + JobTempDir(job_id) + " is gone (its output was aborted)");
  }
  const std::string attempt_dir = JobTempDir(job_id) + name;
  RETURN_IF_ERROR(env_->CreateDirs(attempt_dir));
  const std::string path = attempt_dir + "/" + PartFileName(partition);
  // Created now, so a partition without records still has its (empty) file.
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, env_->NewWritableFile(path));
  return std::unique_ptr<OutputWriter>(new FilesWriter(path, std::move(file)));
}

// Checks everything that can be checked before the first change, so most failures leave the
// previous result untouched.
Status FilesOutput::CheckWinners(const std::string& job_id, const std::vector<CommittedPartition>& winners,
                                 bool resuming) const {
  std::vector<bool> seen(winners.size(), false);
  const std::string prefix = JobTempDir(job_id) + "/";
  for (const CommittedPartition& w : winners) {
    if (w.partition >= winners.size() || seen[w.partition]) {
      return InvalidArgument("commit needs exactly one output for each of partitions 0.." +
                             std::to_string(winners.size() - 1) + "; got partition " + std::to_string(w.partition));
    }
    seen[w.partition] = true;
    if (!w.location.starts_with(prefix)) {
      return InvalidArgument("output " + w.location + " of partition " + std::to_string(w.partition) +
                             " is not a temporary output of job " + job_id);
    }
    if (!env_->FileExists(w.location) && !(resuming && env_->FileExists(FinalPath(w.partition)))) {
      return NotFound("output of partition " + std::to_string(w.partition) + " (attempt " +
                      std::to_string(w.attempt) + ") is missing: " + w.location);
    }
  }
  return Status::OK();
}

// _SUCCESS goes first: from then on the directory no longer claims to hold a complete result.
// Without overwrite, a result here can only come from another job since SetupJob: keep it.
Status FilesOutput::MakeRoomForResult() {
  if (!overwrite_) {
    ASSIGN_OR_RETURN(const bool holds_result, HoldsResult());
    if (!holds_result) return Status::OK();
    return FailedPrecondition("output directory " + dir_ + " received a result from another job while this one ran");
  }
  if (env_->FileExists(dir_ + "/" + kSuccess)) RETURN_IF_ERROR(env_->DeleteFile(dir_ + "/" + kSuccess));
  ASSIGN_OR_RETURN(const std::vector<std::string> children, env_->GetChildren(dir_));
  for (const std::string& name : children) {
    if (IsResultFile(name)) RETURN_IF_ERROR(env_->DeleteFile(dir_ + "/" + name));
  }
  return Status::OK();
}

// Renames every winner into place; on failure takes the promoted ones back out, so no final
// name is left behind by a failed commit.
// Resuming, a winner already renamed is left as it is, and a failure keeps what is in place for
// the next try (_COMMITTING still says the directory holds no complete result).
Status FilesOutput::Promote(const std::vector<CommittedPartition>& winners, bool resuming) {
  for (size_t i = 0; i < winners.size(); ++i) {
    if (resuming && !env_->FileExists(winners[i].location)) continue;  // CheckWinners saw it in place
    Status s = env_->RenameFile(winners[i].location, FinalPath(winners[i].partition));
    if (!s.ok()) {
      if (!resuming) Demote(winners, i);
      return s.WithContext("committing " + Describe());
    }
  }
  return Status::OK();
}

void FilesOutput::Demote(const std::vector<CommittedPartition>& winners, size_t count) {
  for (size_t i = 0; i < count; ++i) (void)env_->DeleteFile(FinalPath(winners[i].partition));
}

Status FilesOutput::WriteMarker(const char* name, const std::string& job_id) {
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> marker, env_->NewWritableFile(dir_ + "/" + name));
  Status s = marker->Append(job_id + "\n");
  if (s.ok()) s = marker->Flush(/*sync=*/true);
  Status closed = marker->Close();
  return s.ok() ? closed : s;
}

bool FilesOutput::MarkerNames(const char* name, const std::string& job_id) const {
  std::string content;
  return ReadFileToString(env_, dir_ + "/" + name, &content).ok() && content == job_id + "\n";
}

// Removes the job's temporary outputs, and _temporary too unless other jobs still use it.
Status FilesOutput::RemoveTempDirs(const std::string& job_id) {
  Status s = env_->DeleteRecursively(JobTempDir(job_id));
  StatusOr<std::vector<std::string>> rest = env_->GetChildren(TempRoot());
  if (rest.ok() && rest->empty()) (void)env_->DeleteRecursively(TempRoot());
  return s;
}

// A coordinator that takes over a job in the middle of its commit commits it again
// (job_tracker.cc), so a repeated commit finishes the first one or finds it done.
Status FilesOutput::CommitJob(const std::string& job_id, const std::vector<CommittedPartition>& winners) {
  RETURN_IF_ERROR(CheckJobId(job_id));
  if (MarkerNames(kSuccess, job_id)) {
    (void)RemoveTempDirs(job_id);
    return Status::OK();
  }
  const bool resuming = MarkerNames(kCommitting, job_id);
  RETURN_IF_ERROR(CheckWinners(job_id, winners, resuming));
  if (!resuming) {
    RETURN_IF_ERROR(MakeRoomForResult());
    RETURN_IF_ERROR(WriteMarker(kCommitting, job_id).WithContext("committing " + Describe()));
  }
  if (Status s = Promote(winners, resuming); !s.ok()) {
    if (!resuming) (void)env_->DeleteFile(dir_ + "/" + kCommitting);
    return s;
  }
  if (Status s = WriteMarker(kSuccess, job_id); !s.ok()) {
    (void)env_->DeleteFile(dir_ + "/" + kSuccess);
    Demote(winners, winners.size());
    (void)env_->DeleteFile(dir_ + "/" + kCommitting);
    return s.WithContext("committing " + Describe());
  }
  // The result is complete now; leftovers would be harmless.
  (void)env_->DeleteFile(dir_ + "/" + kCommitting);
  (void)RemoveTempDirs(job_id);
  return Status::OK();
}

Status FilesOutput::AbortJob(const std::string& job_id) {
  RETURN_IF_ERROR(CheckJobId(job_id));
  return RemoveTempDirs(job_id);
}

}  // namespace

std::string PartFileName(uint32_t partition) {
  char name[32];
  std::snprintf(name, sizeof name, "part-%05u.jsonl", partition);
  return name;
}

std::unique_ptr<OutputFormat> NewFilesOutput(std::string dir, bool overwrite, Env* env) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return std::make_unique<FilesOutput>(std::move(dir), overwrite, env);
}

}  // namespace aviary
