// A job submission as a client builds it: the JobSpec from what the user asked for, plus the
// plugin library's bytes.
#ifndef AVIARY_CLIENT_SUBMISSION_H_
#define AVIARY_CLIENT_SUBMISSION_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "rpc/aviary.pb.h"

namespace aviary::client {

// What describes the job itself (the flags `submit` and `run` share).
struct JobOptions {
  std::string job;  // built-in job name or path of a plugin .so
  std::string input;
  std::string output;
  uint32_t map_tasks = 0;
  uint32_t reduce_tasks = 0;
  std::vector<std::string> params;  // name=value
  // The source's and the sink's settings the user gave (--field, --query, --out-mode), by flag
  // name without dashes; each source or sink checks its own (storage/registry.h).
  std::map<std::string, std::string> input_options;
  std::map<std::string, std::string> output_options;
  bool overwrite = false;
  uint32_t max_attempts = 0;  // 0: the coordinator's default
  bool skip_bad_records = false;
};

// Validates the options (resolving and loading the plugin to check it) and builds the
// submission: each URI as its kind sends it (files: paths made absolute), the options checked by
// their source and sink. InvalidArgument for malformed options; the plugin loader's errors otherwise.
StatusOr<rpc::SubmitJobRequest> BuildSubmission(const JobOptions& flags);

}  // namespace aviary::client

#endif  // AVIARY_CLIENT_SUBMISSION_H_
