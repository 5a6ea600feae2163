// Command-line definitions of `aviary cluster up|down|status`, `aviary load` and `aviary demo`.
#ifndef AVIARY_CLI_CLUSTER_CLI_H_
#define AVIARY_CLI_CLUSTER_CLI_H_

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace aviary::cli {

// Runs the parsed command with the global --log-level and --secret-file; -1 when none of these
// commands was given.
using ClusterCommandRunner = std::function<int(const std::string& log_level, const std::string& secret_file)>;

// Adds the subcommands to `app` (which must outlive the runner).
ClusterCommandRunner AddClusterCommands(CLI::App* app);

}  // namespace aviary::cli

#endif  // AVIARY_CLI_CLUSTER_CLI_H_
