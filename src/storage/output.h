// Output formats: where reduce results go, and how a job's result becomes visible exactly once.
//
// Protocol (Hadoop's output committer, simplified):
//   coordinator: SetupJob() once before any task runs;
//   each reduce attempt: OpenTaskWriter(partition, attempt), Write()* , Close(); the attempt's
//     output is private to it (a temporary file or collection);
//   coordinator: CommitJob() with the single winning attempt of every partition, which promotes
//     exactly those outputs and makes the whole result visible; or AbortJob() on failure, which
//     removes every temporary output and leaves any previous result untouched.
#ifndef AVIARY_STORAGE_OUTPUT_H_
#define AVIARY_STORAGE_OUTPUT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aviary/value.h"
#include "common/env.h"
#include "common/status.h"
#include "rpc/aviary.pb.h"
#include "storage/input.h"

namespace aviary {

class OutputWriter {
 public:
  virtual ~OutputWriter() = default;
  // Writes one result document {_id: key, value: value}.
  virtual Status Write(ValueView key, ValueView value) = 0;
  // Makes everything written durable in the attempt's private location.
  virtual Status Close() = 0;
  // Where the attempt's output went (reported to the coordinator, passed back to CommitJob).
  virtual std::string location() const = 0;
};

struct CommittedPartition {
  uint32_t partition = 0;
  uint32_t attempt = 0;
  std::string location;  // from OutputWriter::location()
  uint64_t records = 0;  // the documents the attempt wrote (its records_out)
};

class OutputFormat {
 public:
  virtual ~OutputFormat() = default;

  // The format for `job.output_uri()` with the job's output options, from the default registry;
  // InvalidArgument naming the URI or option and what is wrong.
  static StatusOr<std::unique_ptr<OutputFormat>> ForJob(const rpc::JobSpec& job, Env* env);

  // Checks the destination can be written and prepares it. Fails (and changes nothing) when
  // the destination holds a result and the job does not ask to overwrite it.
  virtual Status SetupJob(const std::string& job_id) = 0;
  virtual StatusOr<std::unique_ptr<OutputWriter>> OpenTaskWriter(const std::string& job_id, uint32_t partition,
                                                                 uint32_t attempt) = 0;
  // REQUIRES: exactly one entry per partition, each the output of a successful attempt.
  virtual Status CommitJob(const std::string& job_id, const std::vector<CommittedPartition>& winners) = 0;
  virtual Status AbortJob(const std::string& job_id) = 0;
  // Refuses (InvalidArgument, naming both) a job whose output would land on its input: part
  // files among the input files, or a collection replaced while it is read. Called by the
  // coordinator at planning for every job, before SetupJob changes anything.
  virtual Status CheckSparesInput(const InputFootprint& /*input*/) const { return Status::OK(); }
  // Inputs the job must read besides its own: for MongoDB's out mode "reduce", the existing
  // result collection as a passthrough split, so old and new values meet in the reduce.
  // Called once by the coordinator at submission.
  virtual StatusOr<std::vector<rpc::InputSplit>> ExtraInputSplits() { return std::vector<rpc::InputSplit>(); }
  // The committed result as files on this host, in partition order, for a result the coordinator
  // streams back itself (`--output inline`); empty for a sink that keeps no such files.
  virtual std::vector<std::string> LocalResultFiles(uint32_t /*partitions*/) const { return {}; }
  // Human-readable place of the final result, for status and the CLI.
  virtual std::string Describe() const = 0;
};

}  // namespace aviary

#endif  // AVIARY_STORAGE_OUTPUT_H_
