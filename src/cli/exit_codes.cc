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
  std::cerr << "aviary: " << status.message() << std::endl;
  return ExitCodeFor(status);
}

}  // namespace aviary::cli
