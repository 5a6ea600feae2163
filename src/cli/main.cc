// aviary: one binary for every role (coordinator, worker, client, local runner, task runner).
// The subcommands are in the table of commands.cc; this file parses the command line, sets up
// logging and the cluster secret, and runs the one subcommand given.
#include <CLI/CLI.hpp>
#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "client/plugin_check.h"
#include "rpc/grpc_util.h"
#include "worker/task_runner.h"

namespace aviary::cli {
namespace {

// Reads the cluster secret from --secret-file or AVIARY_SECRET; never logs it.
bool LoadSecret(const std::string& secret_file) {
  rpc::TransportOptions transport;
  if (!secret_file.empty()) {
    std::ifstream in(secret_file);
    if (!in) {
      std::cerr << "aviary: cannot read secret file " << secret_file << std::endl;
      return false;
    }
    std::getline(in, transport.secret);
    if (transport.secret.empty()) {
      std::cerr << "aviary: secret file " << secret_file << " is empty" << std::endl;
      return false;
    }
  } else if (const char* env = std::getenv("AVIARY_SECRET")) {
    transport.secret = env;
  }
  rpc::SetTransportOptions(transport);
  // Never exported to children: a reduce attempt's task process gets the secret on a pipe and
  // drops it before user code runs (worker/task_process.h).
  return true;
}

void SetUpLogging(const std::string& log_level) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("aviary"));
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%P] %v");
}

int Main(int argc, char** argv) {
  // libmongoc keeps performance counters in /dev/shm/mongoc-PID and removes the file only at
  // mongoc_cleanup(), which task processes never reach: thousands piled up. Nothing reads them.
  // Set here, while the process has one thread, and inherited by every child.
  setenv("MONGOC_DISABLE_SHM", "1", /*overwrite=*/0);
  // The task runner is started by workers only; keep its path free of CLI parsing surprises.
  if ((argc == 4 || argc == 6) && std::string(argv[1]) == "task-runner" && std::string(argv[2]) == "--work-dir") {
    const bool cpu = argc == 6 && std::string(argv[4]) == "--cpu-limit";
    // It takes the secret from its daemon, never from the environment.
    return worker::TaskRunnerMain(argv[3], cpu ? static_cast<uint32_t>(std::strtoul(argv[5], nullptr, 10)) : 0);
  }
  // Hidden too: the client checks a plugin in a child running this (client/plugin_check.h).
  if (argc == 3 && std::string(argv[1]) == "check-plugin") return client::CheckPluginMain(argv[2]);

  CLI::App app{"Aviary: MapReduce next to your MongoDB shards"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "aviary 0.1.0");
  GlobalFlags global;
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  app.add_option("--secret-file", global.secret_file, "file holding the cluster secret (or set AVIARY_SECRET)");

  std::vector<std::pair<CLI::App*, Adapter>> subcommands;
  for (const Command& command : Commands()) {
    CLI::App* cmd = app.add_subcommand(command.name, command.help);
    subcommands.emplace_back(cmd, command.define(cmd));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  SetUpLogging(global.log_level);
  if (!LoadSecret(global.secret_file)) return kExitUsage;
  for (const auto& [cmd, adapter] : subcommands) {
    if (*cmd) return adapter(global);
  }
  return kExitUsage;
}

}  // namespace
}  // namespace aviary::cli

int main(int argc, char** argv) { return aviary::cli::Main(argc, argv); }
