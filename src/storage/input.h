// Input formats: how a job's input is cut into map splits (on the coordinator) and read back as
// records (in the task runner). One implementation per URI scheme: files:GLOB, mongodb://...
//
// Thread safety: an InputFormat is used by one thread at a time.
#ifndef AVIARY_STORAGE_INPUT_H_
#define AVIARY_STORAGE_INPUT_H_

#include <cstdint>
#include <memory>
#include <string>
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
  // Why OnRecord() returned false; OK for a deliberate early stop.
  virtual const Status& status() const {
    static const Status ok;
    return ok;
  }
};

struct InputStats {
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t bad_records = 0;      // skipped with --skip-bad-records
  uint64_t orphans_skipped = 0;  // MongoDB: documents in chunks the shard does not own
  bool read_locally = true;
};

class InputFormat {
 public:
  virtual ~InputFormat() = default;

  // The format for `job.input_uri()`, or InvalidArgument naming the URI and what is wrong.
  static StatusOr<std::unique_ptr<InputFormat>> ForJob(const rpc::JobSpec& job, Env* env);

  // Cuts the input into splits; `desired` is the requested number of map tasks (0: choose).
  // Fails with a clear message when the input does not exist or cannot be read.
  virtual StatusOr<std::vector<rpc::InputSplit>> PlanSplits(uint32_t desired) = 0;

  // Reads every record of `split` into `sink`.
  virtual Status ReadSplit(const rpc::InputSplit& split, RecordSink* sink, InputStats* stats) = 0;
};

}  // namespace aviary

#endif  // AVIARY_STORAGE_INPUT_H_
