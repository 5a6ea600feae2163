// Defaults of the coordinator that its command line and its clients show to users.
#ifndef AVIARY_COORDINATOR_DEFAULTS_H_
#define AVIARY_COORDINATOR_DEFAULTS_H_

#include <cstdint>

namespace aviary::coordinator {

// Attempts of one task before its job fails, when neither the job nor --max-attempts says
// (Hadoop's default too).
inline constexpr uint32_t kDefaultMaxAttempts = 4;

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_DEFAULTS_H_
