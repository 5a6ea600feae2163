// Whether a files: output would land on a files: input: the check behind
// OutputFormat::CheckSparesInput for files:DIR (and the coordinator's inline spool).
//
// Thread safety: free functions; `env` must be safe to share (every Env is).
#ifndef AVIARY_STORAGE_FILES_OVERLAP_H_
#define AVIARY_STORAGE_FILES_OVERLAP_H_

#include <string>

#include "common/env.h"
#include "common/status.h"
#include "storage/input.h"

namespace aviary {

// `glob` with its fixed directory part (the components before the first one holding * ? or [)
// canonical (Env::CanonicalPath), the rest as written: what a canonical output path is matched
// against. An error from resolving leaves `glob` as it is.
std::string CanonicalGlob(Env* env, const std::string& glob);

// InvalidArgument naming both when output directory `dir` is a directory the input reads files
// from (a directory of a matched file, or one the glob's directory part matches), when the glob
// matches `dir` or one of its parents (the output would be part of the input), or when it would
// match what the job writes there (part files, markers, _temporary). `dir` is resolved first
// (symlinks, ".."). Any other place is allowed, a subdirectory of the input's directory
// ("DIR/in.txt" to "DIR/out") or a parent of it included: no file the job writes is read by it.
Status CheckFilesOutputSparesInput(Env* env, const std::string& dir, const InputFootprint& input);

}  // namespace aviary

#endif  // AVIARY_STORAGE_FILES_OVERLAP_H_
