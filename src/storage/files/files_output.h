// The output format for `files:DIR`: one JSON lines file per reduce partition.
//
// Layout of a committed result:
//   DIR/part-00000.jsonl ... part-<R-1>.jsonl   one {"_id": key, "value": value} per line (relaxed
//                                                Extended JSON, see json_writer.h)
//   DIR/_SUCCESS                                 empty; written last, so its presence means the
//                                                result is complete
// While a job runs, each reduce attempt writes its own
//   DIR/_temporary/JOBID/attempt-PPPPP-A/part-PPPPP.jsonl
// and CommitJob renames the winners into place. A failed or aborted job leaves neither _SUCCESS
// nor any part file under a final name. With overwrite, the previous result stays intact until
// CommitJob, which removes it just before promoting the new one.
//
// Thread safety: the format holds no mutable state; writers are not thread-safe.
#ifndef AVIARY_STORAGE_FILES_FILES_OUTPUT_H_
#define AVIARY_STORAGE_FILES_FILES_OUTPUT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "common/env.h"
#include "storage/output.h"

namespace aviary {

// REQUIRES: `env` outlives the returned object.
std::unique_ptr<OutputFormat> NewFilesOutput(std::string dir, bool overwrite, Env* env);

// "part-00042.jsonl": the final name of a partition's result file.
std::string PartFileName(uint32_t partition);

}  // namespace aviary

#endif  // AVIARY_STORAGE_FILES_FILES_OUTPUT_H_
