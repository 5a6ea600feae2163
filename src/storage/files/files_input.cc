#include "storage/files/files_input.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "storage/files/jsonl.h"
#include "storage/files/line_reader.h"
#include "storage/files/overlap.h"
#include "storage/files/split_planner.h"

namespace aviary {
namespace {

// 1-based number of the line starting at `offset` in `path`. Only used to report an error, so
// it re-reads the file prefix rather than counting lines on the fast path.
StatusOr<uint64_t> LineNumberAt(Env* env, const std::string& path, uint64_t offset) {
  ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> file, env->NewSequentialFile(path));
  std::string scratch(1 << 16, '\0');
  uint64_t line = 1, pos = 0;
  while (pos < offset) {
    std::string_view chunk;
    RETURN_IF_ERROR(file->Read(std::min<uint64_t>(scratch.size(), offset - pos), scratch.data(), &chunk));
    if (chunk.empty()) break;
    line += static_cast<uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
    pos += chunk.size();
  }
  return line;
}

// A mapped file read as a SequentialFile whose reads point into the mapping: nothing is copied.
// A read ends the previous one's view (SequentialFile's contract), so each read first releases
// the pages already read: the task holds about one read's worth of the file, as with `read`.
class MappedSequentialFile : public SequentialFile {
 public:
  explicit MappedSequentialFile(std::unique_ptr<MappedFile> file) : file_(std::move(file)) {}

  Status Read(size_t n, char* /*scratch*/, std::string_view* result) override {
    file_->Release(released_, pos_ - released_);
    released_ = pos_;
    const std::string_view all = file_->data();
    *result = all.substr(pos_, std::min<size_t>(n, all.size() - pos_));
    if (!result->empty()) file_->Prefetch(pos_, result->size());  // and starts the next read's disk reads
    pos_ += result->size();
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    pos_ += static_cast<size_t>(std::min<uint64_t>(n, file_->data().size() - pos_));
    return Status::OK();
  }
  std::string_view data() const { return file_->data(); }

 private:
  const std::unique_ptr<MappedFile> file_;
  size_t pos_ = 0;
  size_t released_ = 0;  // pages before this offset were released
};

class FilesInput : public InputFormat {
 public:
  FilesInput(std::string glob, FilesInputOptions options, Env* env)
      : glob_(std::move(glob)), options_(std::move(options)), env_(env) {}

  StatusOr<std::vector<rpc::InputSplit>> PlanSplits(const PlanContext& context) override;
  InputFootprint Footprint() const override { return footprint_; }
  Status ReadSplit(const rpc::InputSplit& split, RecordSink* sink, InputStats* stats) override;

 private:
  StatusOr<InputFile> CheckFile(const std::string& path);
  // Adds the canonical directory of `path` to the footprint (once).
  void NoteDirectoryOf(const std::string& path);
  // Reads the ranges of a split in order, until the sink asks to stop.
  Status ReadRanges(const files::FileSplit& ranges, RecordSink* sink, InputStats* stats);
  // Reads one range; sets `*stopped` when the sink asked to stop.
  Status ReadRange(const files::FileRange& range, RecordSink* sink, InputStats* stats, bool* stopped);
  // The file of `range`: mapped when the range is large and the Env can map it, else opened for
  // reads into the read buffer. Sets `*readable` to the bytes its reads' views lie in.
  StatusOr<std::unique_ptr<SequentialFile>> OpenRange(const files::FileRange& range, std::string_view* readable);
  // Hands one JSON line to the sink as a record; false when the sink asks to stop.
  StatusOr<bool> DeliverJson(std::string_view line, const RecordSource& source, RecordSink* sink, InputStats* stats);
  Status MalformedLine(const RecordSource& source) const;

  const std::string glob_;
  const FilesInputOptions options_;
  Env* const env_;  // not owned
  std::unique_ptr<char[]> scratch_;  // read buffer, allocated on first use
  std::string bson_;                 // the current JSON line as BSON
  std::string json_error_;
  InputFootprint footprint_;         // filled by PlanSplits
};

StatusOr<std::vector<rpc::InputSplit>> FilesInput::PlanSplits(const PlanContext& context) {
  ASSIGN_OR_RETURN(std::vector<std::string> paths, env_->Glob(glob_));
  if (paths.empty()) return NotFound("no input files match " + glob_);
  footprint_ = InputFootprint();
  footprint_.file_globs.push_back(CanonicalGlob(env_, glob_));
  std::vector<InputFile> files;
  uint64_t total = 0;
  for (const std::string& path : paths) {
    ASSIGN_OR_RETURN(InputFile file, CheckFile(path));
    NoteDirectoryOf(path);
    total += file.size;
    files.push_back(std::move(file));
  }
  if (context.map_tasks != 0) return CutIntoSplits(files, SplitCount(total, context.map_tasks));
  return CutAt(files, DefaultSplitBoundaries(total, context.live_slots));
}

// Fails now, naming the file, rather than in a map task later. Only stat(2) before the file is
// known to be regular: opening a FIFO blocks until a writer comes, a device may never end.
StatusOr<InputFile> FilesInput::CheckFile(const std::string& path) {
  StatusOr<FileKind> kind = env_->GetFileKind(path);
  if (!kind.ok()) return kind.status().WithContext("cannot read input");
  if (*kind == FileKind::kDirectory) {
    return InvalidArgument("input " + path + " is a directory; match the files in it instead, e.g. files:" + path + "/*");
  }
  if (*kind != FileKind::kRegular) {
    return InvalidArgument("input " + path + " is a " + FileKindName(*kind) + ", not a regular file; only regular files can be read");
  }
  StatusOr<uint64_t> size = env_->GetFileSize(path);
  if (!size.ok()) return size.status().WithContext("cannot read input");
  StatusOr<std::unique_ptr<SequentialFile>> file = env_->NewSequentialFile(path);
  if (!file.ok()) return file.status().WithContext("cannot read input");
  return InputFile{path, *size};
}

void FilesInput::NoteDirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  StatusOr<std::string> canonical = env_->CanonicalPath(dir);
  if (!canonical.ok()) return;  // it was just listed: the glob check still covers it
  std::vector<std::string>& dirs = footprint_.file_dirs;
  if (std::find(dirs.begin(), dirs.end(), *canonical) == dirs.end()) dirs.push_back(*canonical);
}

Status FilesInput::ReadSplit(const rpc::InputSplit& split, RecordSink* sink, InputStats* stats) {
  // Zeroed once, so that the sink's whole-word loads past a line never see indeterminate bytes.
  if (!scratch_) scratch_.reset(new char[options_.read_size]());
  return ReadRanges(FileRanges(split), sink, stats);
}

StatusOr<std::unique_ptr<SequentialFile>> FilesInput::OpenRange(const files::FileRange& range,
                                                                 std::string_view* readable) {
  if (range.end() - range.start() >= options_.map_min_bytes) {
    StatusOr<std::unique_ptr<MappedFile>> mapped = env_->MapFile(range.path());
    if (mapped.ok()) {
      auto file = std::make_unique<MappedSequentialFile>(std::move(mapped).value());
      *readable = file->data();  // whole-word loads may run to its last byte, never past it
      return std::unique_ptr<SequentialFile>(std::move(file));
    }
    // Not mappable here (or at all): read it.
  }
  *readable = std::string_view(scratch_.get(), options_.read_size);
  return env_->NewSequentialFile(range.path());
}

Status FilesInput::ReadRanges(const files::FileSplit& ranges, RecordSink* sink, InputStats* stats) {
  for (const files::FileRange& range : ranges.ranges()) {
    bool stopped = false;
    RETURN_IF_ERROR(ReadRange(range, sink, stats, &stopped));
    if (stopped) return sink->status();
  }
  return Status::OK();
}

Status FilesInput::ReadRange(const files::FileRange& range, RecordSink* sink, InputStats* stats, bool* stopped) {
  std::string_view readable;
  ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> file, OpenRange(range, &readable));
  sink->OnReadBuffer(readable.data(), readable.data() + readable.size());
  // Withdrawn on every way out, before `file` (and a mapping with it) goes.
  struct WithdrawReadBuffer {
    RecordSink* sink;
    ~WithdrawReadBuffer() { sink->OnReadBuffer(nullptr, nullptr); }
  } withdraw{sink};
  stats->bytes += range.end() - range.start();
  LineReader reader(file.get(), range.start(), range.end(), scratch_.get(), options_.read_size);
  const bool jsonl = IsJsonLinesPath(range.path());
  RecordSource source;
  source.file = range.path();
  std::string_view line;
  if (jsonl) {
    while (!*stopped && reader.Next(&line, &source.offset)) {
      ASSIGN_OR_RETURN(const bool go_on, DeliverJson(line, source, sink, stats));
      *stopped = !go_on;
    }
  } else if (sink->takes_line_blocks()) {
    uint64_t lines = 0;
    while (!*stopped && reader.NextBlock(&line, &source.offset, &lines)) {
      stats->records += lines;
      *stopped = !sink->OnLineBlock(Record(line, nullptr, source), lines);
    }
  } else {
    while (!*stopped && reader.Next(&line, &source.offset)) {  // the hot loop: no Status per line
      ++stats->records;
      *stopped = !sink->OnRecord(Record(line, nullptr, source));
    }
  }
  return reader.status();
}

StatusOr<bool> FilesInput::DeliverJson(std::string_view line, const RecordSource& source, RecordSink* sink,
                                       InputStats* stats) {
  if (IsBlankLine(line)) return true;
  if (!ParseJsonLine(line, &bson_, &json_error_)) {
    if (!options_.skip_bad_records) return MalformedLine(source);
    ++stats->bad_records;
    return true;
  }
  const DocumentView doc(bson_.data(), bson_.size());
  const std::optional<ValueView> text = doc.GetPath(options_.text_field);
  ++stats->records;
  return sink->OnRecord(Record(text ? text->as_string() : std::string_view(), &doc, source));
}

Status FilesInput::MalformedLine(const RecordSource& source) const {
  const std::string path(source.file);
  StatusOr<uint64_t> line = LineNumberAt(env_, path, source.offset);
  const std::string where = line.ok() ? std::to_string(*line) : "offset " + std::to_string(source.offset);
  return InvalidArgument(path + ":" + where + ": malformed JSON: " + json_error_);
}

}  // namespace

std::unique_ptr<InputFormat> NewFilesInput(std::string glob, FilesInputOptions options, Env* env) {
  if (options.text_field.empty()) options.text_field = kDefaultTextField;
  if (options.read_size == 0) options.read_size = 1;
  return std::make_unique<FilesInput>(std::move(glob), std::move(options), env);
}

}  // namespace aviary
