// aviary: one binary for every role (coordinator, worker, client, local runner, task runner).
// The subcommands are in the table of commands.cc; this file parses the command line, sets up
// logging and the cluster secret, and runs the one subcommand given.
#include <CLI/CLI.hpp>
#include <spdlog/cfg/env.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <iostream>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "client/plugin_check.h"
#include "rpc/grpc_util.h"
#include "storage/mongo/mongo_client.h"
#include "worker/task_runner.h"
#include "worker/task_zygote.h"

namespace aviary::cli {
namespace {

bool ReadPem(const std::string& path, const char* flag, std::string* out) {
  if (path.empty()) return true;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "aviary: cannot read " << flag << " file " << path << std::endl;
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// Reads the cluster secret from --secret-file or AVIARY_SECRET, and the TLS files; never logs
// the secret or the key.
bool LoadTransport(const GlobalFlags& global) {
  const std::string& secret_file = global.secret_file;
  rpc::TransportOptions transport;
  if (!ReadPem(global.tls_cert, "--tls-cert", &transport.tls_cert) ||
      !ReadPem(global.tls_key, "--tls-key", &transport.tls_key) || !ReadPem(global.tls_ca, "--tls-ca", &transport.tls_ca)) {
    return false;
  }
  if (Status s = rpc::CheckTls(transport); !s.ok()) {
    std::cerr << "aviary: " << s.message() << std::endl;
    return false;
  }
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

// The daemons that `cluster up`, `run` and `demo` start inherit the environment: give them the
// same TLS files, as absolute paths since they run elsewhere. (Only paths: the key itself never
// enters the environment, and task processes get neither.)
void ExportTlsPaths(const GlobalFlags& global) {
  const std::pair<const char*, const std::string*> paths[] = {
      {"AVIARY_TLS_CERT", &global.tls_cert}, {"AVIARY_TLS_KEY", &global.tls_key}, {"AVIARY_TLS_CA", &global.tls_ca}};
  for (const auto& [name, path] : paths) {
    std::error_code ec;
    if (!path->empty()) setenv(name, std::filesystem::absolute(*path, ec).c_str(), /*overwrite=*/1);
  }
}

bool SetUpLogging(const GlobalFlags& global) {
  if (global.log_file.empty()) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("aviary"));
  } else {
    try {
      spdlog::set_default_logger(
          spdlog::rotating_logger_mt("aviary", global.log_file, global.log_max_bytes, global.log_keep));
    } catch (const spdlog::spdlog_ex& e) {
      std::cerr << "aviary: cannot write --log-file " << global.log_file << ": " << e.what() << std::endl;
      return false;
    }
    spdlog::flush_on(spdlog::level::info);  // a daemon's file log is read while it runs
  }
  spdlog::set_level(spdlog::level::from_str(global.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%P] %v");
  return true;
}

int Main(int argc, char** argv) {
  // Before any thread or child: the driver's counters file would outlive a SIGKILL.
  mongo::ForgetDriverCountersFile();
  // The task runner is started by workers only; keep its path free of CLI parsing surprises.
  if ((argc == 4 || argc == 6) && std::string(argv[1]) == "task-runner" && std::string(argv[2]) == "--work-dir") {
    const bool cpu = argc == 6 && std::string(argv[4]) == "--cpu-limit";
    // It takes the secret from its daemon, never from the environment.
    return worker::TaskRunnerMain(argv[3], cpu ? static_cast<uint32_t>(std::strtoul(argv[5], nullptr, 10)) : 0);
  }
  // The fork server of a worker's task processes (worker/task_zygote.h); started by workers only.
  if (argc == 2 && std::string(argv[1]) == "task-zygote") return worker::TaskZygoteMain();
  // Hidden too: the client checks a plugin in a child running this (client/plugin_check.h).
  if (argc == 3 && std::string(argv[1]) == "check-plugin") return client::CheckPluginMain(argv[2]);

  CLI::App app{"Aviary: MapReduce next to your MongoDB shards"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "aviary 0.1.0");
  GlobalFlags global;
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  app.add_option("--log-file", global.log_file, "write the log to this file (rotated) instead of stderr");
  app.add_option("--log-max-bytes", global.log_max_bytes, "with --log-file: start a new file past this size")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{4096}, uint64_t{1} << 40));
  app.add_option("--log-keep", global.log_keep, "with --log-file: older files kept (for a.log: a.1.log, the newest, to a.N.log)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100}));
  app.add_option("--secret-file", global.secret_file, "file holding the cluster secret (or set AVIARY_SECRET)");
  app.add_option("--tls-cert", global.tls_cert, "PEM certificate: servers speak TLS, clients present it (mutual TLS)")
      ->envname("AVIARY_TLS_CERT");
  app.add_option("--tls-key", global.tls_key, "PEM private key of --tls-cert")->envname("AVIARY_TLS_KEY");
  app.add_option("--tls-ca", global.tls_ca, "PEM CA: clients verify servers by it, servers require client certificates it signed")
      ->envname("AVIARY_TLS_CA");

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
  // Before any secret is read or thread started: what these fork is a copy of this process.
  for (const auto& [cmd, adapter] : subcommands) {
    if (*cmd && cmd->get_name() == "worker") PrestartWorkerForkServer();
    if (*cmd && cmd->get_name() == "run") PrestartRunWorkers(&Main);
  }
  if (!SetUpLogging(global)) return kExitUsage;
  if (!LoadTransport(global)) return kExitUsage;
  ExportTlsPaths(global);
  for (const auto& [cmd, adapter] : subcommands) {
    if (*cmd) return adapter(global);
  }
  return kExitUsage;
}

}  // namespace
}  // namespace aviary::cli

int main(int argc, char** argv) { return aviary::cli::Main(argc, argv); }
