// The exit codes of `aviary`, the same for every subcommand:
//   0 success, 1 the job failed or was cancelled, 2 bad usage or input, 3 cannot reach a server.
#ifndef AVIARY_CLI_EXIT_CODES_H_
#define AVIARY_CLI_EXIT_CODES_H_

#include "common/status.h"

namespace aviary::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitJobFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnavailable = 3;

// Exit code for a Status that ends a command: usage errors, unreachable servers, others.
int ExitCodeFor(const Status& status);
// Prints "aviary: <message>" to stderr and returns ExitCodeFor(status).
int Fail(const Status& status);

}  // namespace aviary::cli

#endif  // AVIARY_CLI_EXIT_CODES_H_
