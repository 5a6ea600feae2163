// Marking a failed attempt whose error came from user code, so the coordinator can tell a
// deterministic failure (the same exception again) from one a retry may cure.
#ifndef AVIARY_WORKER_USER_ERROR_H_
#define AVIARY_WORKER_USER_ERROR_H_

#include <string>
#include <string_view>

#include "common/status.h"
#include "rpc/aviary.pb.h"

namespace aviary::worker {

// `message` with what may differ between two attempts that failed the same way masked: hex
// addresses ("0x7f3a...") become "0x?".
std::string ErrorFingerprint(std::string_view function, std::string_view message);

// Sets result's user_error fields when `status` is a UserCodeError; leaves them unset otherwise.
void MarkUserError(const Status& status, rpc::TaskResult* result);

}  // namespace aviary::worker

#endif  // AVIARY_WORKER_USER_ERROR_H_
