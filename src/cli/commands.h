// The `aviary` subcommands. Each returns the process exit code:
//   0 success, 1 the job failed or was cancelled, 2 bad usage or input, 3 cannot reach a server.
#ifndef AVIARY_CLI_COMMANDS_H_
#define AVIARY_CLI_COMMANDS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "rpc/aviary.pb.h"

namespace aviary::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitJobFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnavailable = 3;

// Flags shared by `submit` and `run` that describe the job itself.
struct JobFlags {
  std::string job;
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
  uint32_t max_attempts = 0;
  bool skip_bad_records = false;
  bool json = false;
};

// Validates the flags (resolving and loading the plugin to check it) and builds the submission:
// the JobSpec plus the plugin library's bytes.
StatusOr<rpc::SubmitJobRequest> BuildSubmission(const JobFlags& flags);
// Prints the outcome of a finished job and returns its exit code.
class CoordinatorClient;
int ReportFinishedJob(CoordinatorClient& client, const rpc::JobStatus& job, bool json);
// Exit code for a Status that ends a command: usage errors, unreachable servers, others.
int ExitCodeFor(const Status& status);
// Prints "aviary: <message>" to stderr and returns ExitCodeFor(status).
int Fail(const Status& status);

struct CoordinatorFlags {
  std::string listen;
  std::string metadata;  // mongodb://HOST:PORT/DB: durable state and leader election
  double lease_timeout_s = 3;
  double worker_timeout_s = 5;
  double task_timeout_s = 30;
  uint32_t max_attempts = 4;
};
int RunCoordinator(const CoordinatorFlags& flags);

struct WorkerFlags {
  std::string coordinator;
  std::string listen;
  std::string data_dir;
  uint32_t slots = 1;
  uint64_t memory_mb = 1024;
  std::string shard;
  std::string shard_uri;
  double task_timeout_s = 30;
  bool exit_with_parent = false;
};
int RunWorker(const WorkerFlags& flags);

int Submit(const JobFlags& job, const std::string& coordinator, bool wait);
int ShowStatus(const std::string& job_id, const std::string& coordinator, bool json, bool tasks);
int Cancel(const std::string& job_id, const std::string& coordinator);
int ShowWorkers(const std::string& coordinator, bool json);

struct LocalFlags {
  uint32_t workers = 2;
  uint32_t slots = 1;
  uint64_t memory_mb = 1024;
  double task_timeout_s = 30;
  bool keep_temp = false;
};
int RunLocal(const JobFlags& job, const LocalFlags& local);

// `aviary cluster up|down|status` (cluster_commands.cc): a local sharded cluster in one directory.
struct ClusterFlags {
  std::string dir;
  int shards = 0;  // 0: as before in the directory, 2 for a new cluster
  int base_port = 0;
  uint32_t slots = 2;
  uint64_t memory_mb = 1024;
};
int ClusterUpCommand(const ClusterFlags& flags, const std::string& log_level, const std::string& secret_file);
int ClusterDownCommand(const std::string& dir);
int ClusterStatusCommand(const std::string& dir, bool json);

// `aviary load` (load.cc): a file into a sharded collection of a local cluster.
struct LoadFlags {
  std::string input;
  std::string into;  // mongodb://ENTRY/DB.COLL
  std::string shard_key;
  bool hashed = false;
  uint32_t chunks = 0;  // 0: two per shard
};
int LoadCommand(const LoadFlags& flags);

// `aviary demo` (demo.cc): word count of the King James Bible on a fresh 3-shard local cluster.
struct DemoFlags {
  std::string dir;  // empty: a new temporary directory
  int shards = 3;
};
int DemoCommand(const DemoFlags& flags, const std::string& log_level, const std::string& secret_file);

}  // namespace aviary::cli

#endif  // AVIARY_CLI_COMMANDS_H_
