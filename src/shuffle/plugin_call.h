// Plugin code is untrusted: an exception escaping Reduce(), Finalize() or Partition() must end
// the task with a Status, never unwind through the engine.
#ifndef AVIARY_SHUFFLE_PLUGIN_CALL_H_
#define AVIARY_SHUFFLE_PLUGIN_CALL_H_

#include <exception>
#include <string>
#include <string_view>

#include "aviary/job.h"
#include "common/status.h"
#include "shuffle/key.h"

namespace aviary::shuffle {

inline Status PluginThrew(std::string_view what, std::string_view step, std::string_view encoded_key) {
  return UserCodeError(step, "plugin threw " + std::string(what) + " in " + std::string(step) + " for key " +
                                 DescribeKey(encoded_key));
}

// Runs `fn` (a call into the plugin for the key `encoded_key`), turning an exception into
// UserCodeError(step, "plugin threw <what> in <step> for key <key>"); a LimitExceeded is an
// ordinary Internal error (retried as usual).
template <typename Fn>
Status CallPlugin(std::string_view step, std::string_view encoded_key, Fn&& fn) {
  try {
    fn();
    return Status::OK();
  } catch (const LimitExceeded& e) {
    return Internal(std::string(step) + " hit a limit: " + e.what() + " for key " + DescribeKey(encoded_key));
  } catch (const std::exception& e) {
    return PluginThrew(e.what(), step, encoded_key);
  } catch (...) {
    return PluginThrew("a non-std::exception", step, encoded_key);
  }
}

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_PLUGIN_CALL_H_
