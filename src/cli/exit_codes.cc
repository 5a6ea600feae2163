#include "cli/exit_codes.h"

#include <iostream>

namespace aviary::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded: return kExitUnavailable;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAlreadyExists:
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated: return kExitUsage;
    default: return kExitJobFailed;
  }
}

int Fail(const Status& status) {
  // An error without words would leave the user with "aviary:" alone: say at least its kind.
  const std::string message = status.message().empty() ? std::string(StatusCodeName(status.code())) + " (no details given)"
                                                       : status.message();
  std::cerr << "aviary: " << message << std::endl;
  return ExitCodeFor(status);
}

}  // namespace aviary::cli
