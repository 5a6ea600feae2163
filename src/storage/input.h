// Input formats: how a job's input is cut into map splits (on the coordinator) and read back as
// records (in the task runner). One implementation per kind of source, found by URI prefix in the
// registry (storage/registry.h): files:GLOB, mongodb://..., seq:N/K.
//
// Thread safety: an InputFormat is used by one thread at a time.
#ifndef AVIARY_STORAGE_INPUT_H_
#define AVIARY_STORAGE_INPUT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aviary/job.h"
#include "common/env.h"
#include "common/status.h"
#include "rpc/aviary.pb.h"

namespace aviary {

// Receives records in input order. Returning false stops the read early (ReadSplit then returns
// the sink's error, see RecordSink::status()).
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual bool OnRecord(const Record& record) = 0;
  // The text of the records that follow lies in [begin, end) when it is a view into the input's
  // read buffer, and all of those bytes stay readable until the next call (nullptr, nullptr:
  // the buffer is gone). A hint that lets the map side load keys in whole words.
  virtual void OnReadBuffer(const char* /*begin*/, const char* /*end*/) {}
  // Whether a text file's lines may come many at a time, through OnLineBlock() instead of one
  // OnRecord() each (see Job::map_takes_line_blocks()).
  virtual bool takes_line_blocks() const { return false; }
  // A record whose text is `lines` whole lines with the '\n's between them.
  virtual bool OnLineBlock(const Record& record, uint64_t lines) {
    (void)lines;
    return OnRecord(record);
  }
  // Why OnRecord() returned false; OK for a deliberate early stop.
  virtual const Status& status() const {
    static const Status ok;
    return ok;
  }
};

// The field that Record::text() reads from documents unless the job names another (--field).
inline constexpr std::string_view kDefaultTextField = "text";

// What a source may use to decide how to cut its input.
struct PlanContext {
  uint32_t map_tasks = 0;   // the job's --map-tasks; 0: the source chooses
  uint32_t live_slots = 0;  // task slots of the live workers now (0 when none has registered)
};

struct InputStats {
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t bad_records = 0;      // skipped with --skip-bad-records
  uint64_t orphans_skipped = 0;  // MongoDB: documents in chunks the shard does not own
};

// What a source reads, in terms its kind's sink understands, so that a sink can refuse a job
// that would write over its own input (OutputFormat::CheckSparesInput). Paths are canonical
// (Env::CanonicalPath: symlinks and ".." resolved).
struct InputFootprint {
  std::vector<std::string> file_globs;  // files: the glob, its fixed directory part canonical
  std::vector<std::string> file_dirs;   // files: the directories holding the files it matched
  std::vector<std::string> collections; // MongoDB: mongo::CollectionKey of each collection read
};

class InputFormat {
 public:
  virtual ~InputFormat() = default;

  // The format for `job.input_uri()` with the job's input options, from the default registry;
  // InvalidArgument naming the URI or option and what is wrong.
  static StatusOr<std::unique_ptr<InputFormat>> ForJob(const rpc::JobSpec& job, Env* env);
  // The format that reads `split`: the job's input, or the split's own source_uri (a sink's
  // extra input), which is opened without the job's input options.
  static StatusOr<std::unique_ptr<InputFormat>> ForSplit(const rpc::JobSpec& job, const rpc::InputSplit& split, Env* env);

  // Cuts the input into splits (index, payload, and the generic fields the source knows:
  // location, estimated_bytes, description). Fails with a clear message when the input does not
  // exist or cannot be read.
  virtual StatusOr<std::vector<rpc::InputSplit>> PlanSplits(const PlanContext& context) = 0;

  // What this source reads. REQUIRES: PlanSplits succeeded (a files: input names the
  // directories of the files it matched).
  virtual InputFootprint Footprint() const { return {}; }

  // The version of the input's layout the planned splits rely on, or "" when they rely on none:
  // MongoDB's chunk table, whose ownership the map tasks filter by. REQUIRES: PlanSplits
  // succeeded.
  virtual std::string LayoutVersion() const { return ""; }
  // OK when the layout is still `version` (what LayoutVersion said at planning); Aborted,
  // saying what changed, when it moved on (a chunk migrated: the splits may have counted
  // documents twice or missed them); other errors when it cannot be read.
  virtual Status CheckLayout(const std::string& version) { return Status::OK(); }
  // For the job status: whether the splits read one point in time, and if not why ("" when the
  // question does not arise). REQUIRES: PlanSplits succeeded.
  virtual std::string ReadConsistency() const { return ""; }

  // Reads every record of `split` into `sink`.
  virtual Status ReadSplit(const rpc::InputSplit& split, RecordSink* sink, InputStats* stats) = 0;
};

}  // namespace aviary

#endif  // AVIARY_STORAGE_INPUT_H_
