// The `aviary` subcommands as one table. Each entry names a subcommand, says what it does, and
// defines it: declares its flags on the CLI11 subcommand and returns the adapter that, once the
// command line is parsed, turns those flags into a call of the client, the dev cluster, the
// loader, the demo or a daemon, and returns the process exit code (see exit_codes.h).
#ifndef AVIARY_CLI_COMMANDS_H_
#define AVIARY_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace aviary::cli {

// Flags of the `aviary` command itself, given before the subcommand.
struct GlobalFlags {
  std::string log_level = "info";
  // --log-file: the log goes there, rotated at log_max_bytes with log_keep older files kept
  // (PATH.1 ... PATH.N); stderr then holds only what libraries print on their own.
  std::string log_file;
  uint64_t log_max_bytes = 64ull << 20;
  size_t log_keep = 4;
  std::string secret_file;
  // PEM files for TLS on every RPC (rpc::TransportOptions); daemons started by `cluster up` and
  // `run` get the same.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
};

using Adapter = std::function<int(const GlobalFlags& global)>;

struct Command {
  const char* name;
  const char* help;
  // Adds the flags (and any nested subcommands) to `cmd`, which outlives the adapter's use.
  Adapter (*define)(CLI::App* cmd);
};

// These commands talk to people: at the default log level, only warnings and errors are logged
// (the driver's and the client's info lines would clutter their output).
void QuietLogs(const GlobalFlags& global);

// Declares the required --coordinator flag, which $AVIARY_COORDINATOR may give instead.
CLI::Option* AddCoordinatorOption(CLI::App* cmd, std::string* to, const std::string& help = "coordinator HOST:PORT");

// Declares --insecure: a daemon may then serve a network address without authenticating callers.
void AddInsecureFlag(CLI::App* cmd, bool* to);

// Every subcommand, in the order `aviary --help` lists them.
const std::vector<Command>& Commands();

// The definitions, by the file that holds them.
// daemon_commands.cc
Adapter DefineCoordinator(CLI::App* cmd);
Adapter DefineWorker(CLI::App* cmd);
// For `aviary worker`, before any secret is read or thread started: forks the worker's task fork
// server from this process (worker/task_zygote.h), for the worker to use.
void PrestartWorkerForkServer();
// job_commands.cc
Adapter DefineSubmit(CLI::App* cmd);
Adapter DefineStatus(CLI::App* cmd);
Adapter DefineCancel(CLI::App* cmd);
Adapter DefineLogs(CLI::App* cmd);
Adapter DefineWorkers(CLI::App* cmd);
Adapter DefineJobs(CLI::App* cmd);
// run_command.cc
Adapter DefineRun(CLI::App* cmd);
// For `aviary run`, at the same point: forks its workers-to-be (devcluster/worker_forks.h), which
// run `entry` with their command line once the private coordinator is up.
void PrestartRunWorkers(int (*entry)(int argc, char** argv));
// mapreduce_command.cc
Adapter DefineMapReduce(CLI::App* cmd);
// gateway_command.cc
Adapter DefineGateway(CLI::App* cmd);
// cluster_commands.cc
Adapter DefineCluster(CLI::App* cmd);
Adapter DefineLoad(CLI::App* cmd);
Adapter DefineDemo(CLI::App* cmd);

}  // namespace aviary::cli

#endif  // AVIARY_CLI_COMMANDS_H_
