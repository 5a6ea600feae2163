// Checking a plugin library before it is submitted, without running it in the client: loading a
// library runs its static constructors, and a constructor that aborts, or a truncated file that
// faults when mapped, must cost a child process, not `aviary submit`.
//
// The client re-executes its own binary as `aviary check-plugin FILE` (a hidden subcommand),
// which loads the plugin and reports its name, or why it is not one, on fd 3.
#ifndef AVIARY_CLIENT_PLUGIN_CHECK_H_
#define AVIARY_CLIENT_PLUGIN_CHECK_H_

#include <cstdint>
#include <string>

#include "common/status.h"

namespace aviary::client {

// The plugin's name if `path` is a loadable plugin. InvalidArgument naming the file when it is
// not one, or when the check dies (naming the signal) or takes longer than `timeout_ms`.
// `aviary_exe` is the aviary binary (empty: this process's own executable).
StatusOr<std::string> CheckPluginInChild(const std::string& path, const std::string& aviary_exe = "",
                                         int64_t timeout_ms = 30'000);

// The child's side (`aviary check-plugin FILE`): loads the plugin and writes "ok NAME" or
// "error MESSAGE" to fd 3. Returns the process's exit code.
int CheckPluginMain(const std::string& path);

}  // namespace aviary::client

#endif  // AVIARY_CLIENT_PLUGIN_CHECK_H_
