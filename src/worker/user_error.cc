#include "worker/user_error.h"

#include <cctype>

namespace aviary::worker {

std::string ErrorFingerprint(std::string_view function, std::string_view message) {
  std::string out(function);
  out += ": ";
  for (size_t i = 0; i < message.size(); ++i) {
    const bool hex_prefix = message[i] == '0' && i + 2 < message.size() && (message[i + 1] == 'x' || message[i + 1] == 'X') &&
                            std::isxdigit(static_cast<unsigned char>(message[i + 2]));
    if (!hex_prefix) {
      out += message[i];
      continue;
    }
    out += "0x?";
    i += 2;
    while (i + 1 < message.size() && std::isxdigit(static_cast<unsigned char>(message[i + 1]))) ++i;
  }
  return out;
}

void MarkUserError(const Status& status, rpc::TaskResult* result) {
  if (status.ok() || !status.user_code()) return;
  result->set_user_error(true);
  result->set_user_function(status.user_function());
  result->set_error_fingerprint(ErrorFingerprint(status.user_function(), status.message()));
}

}  // namespace aviary::worker
