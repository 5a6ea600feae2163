// What `submit` and `run` share: the flags that describe a job, and how a finished job is shown.
#ifndef AVIARY_CLI_JOB_FLAGS_H_
#define AVIARY_CLI_JOB_FLAGS_H_

#include <CLI/CLI.hpp>

#include "client/coordinator_client.h"
#include "client/submission.h"
#include "rpc/aviary.pb.h"

namespace aviary::cli {

struct JobFlags {
  client::JobOptions job;
  bool json = false;  // print the final job status as JSON
};

// Declares JOB, --input, --output, ... on `cmd`, filling `*flags` (which must outlive parsing).
void AddJobFlags(CLI::App* cmd, JobFlags* flags);

// Prints the outcome of a finished job (an inline result on stdout, the summary on stderr) and
// returns its exit code.
int ReportFinishedJob(client::CoordinatorClient& client, const rpc::JobStatus& job, bool json);

}  // namespace aviary::cli

#endif  // AVIARY_CLI_JOB_FLAGS_H_
