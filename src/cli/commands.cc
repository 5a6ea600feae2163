#include "cli/commands.h"

#include <spdlog/spdlog.h>

namespace aviary::cli {

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"coordinator", "run the coordinator", DefineCoordinator},
      {"worker", "run a worker", DefineWorker},
      {"submit", "submit a job to a running cluster", DefineSubmit},
      {"status", "show one job, or all jobs", DefineStatus},
      {"cancel", "cancel a job", DefineCancel},
      {"jobs", "list the jobs as a table, newest first", DefineJobs},
      {"logs", "show what a job's task attempts wrote to stdout and stderr", DefineLogs},
      {"workers", "list the workers registered with a coordinator", DefineWorkers},
      {"run", "run one job on a private local cluster", DefineRun},
      {"cluster", "start, inspect or stop a local sharded cluster in a directory", DefineCluster},
      {"load", "load a file into a sharded collection of a local cluster", DefineLoad},
      {"mapreduce", "run a MongoDB mapReduce command document as a javascript job; print MongoDB's reply", DefineMapReduce},
      {"gateway", "serve the MongoDB wire protocol: mapReduce runs on Aviary, all else is relayed upstream", DefineGateway},
      {"demo", "count the words of the King James Bible on a fresh local 3-shard cluster", DefineDemo},
  };
  return commands;
}

CLI::Option* AddCoordinatorOption(CLI::App* cmd, std::string* to, const std::string& help) {
  return cmd->add_option("--coordinator", *to, help + " (default: $AVIARY_COORDINATOR)")
      ->envname("AVIARY_COORDINATOR")
      ->required();
}

void AddInsecureFlag(CLI::App* cmd, bool* to) {
  cmd->add_flag("--insecure", *to,
                "serve a non-loopback address even though callers are not authenticated (no secret, no mutual TLS)");
}

void QuietLogs(const GlobalFlags& global) {
  if (global.log_level == "info") spdlog::set_level(spdlog::level::warn);
}

}  // namespace aviary::cli
