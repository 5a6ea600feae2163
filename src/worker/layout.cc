#include "worker/layout.h"

namespace aviary::worker {

bool IsValidJobId(std::string_view job_id) {
  if (job_id.empty() || job_id.size() > 128) return false;
  for (char c : job_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace aviary::worker
