// What clients and the web API say about job states: which are ended, and the state filters
// that `aviary jobs --state` and `/api/jobs?state=` share.
#ifndef AVIARY_RPC_JOB_STATES_H_
#define AVIARY_RPC_JOB_STATES_H_

#include <string>

#include "rpc/aviary.pb.h"

namespace aviary::rpc {

// The job can change no more: succeeded, failed or cancelled.
bool IsEnded(JobState state);
// "" or "all", "running" (not ended), "finished" (ended in any way), or one state's name in any
// case ("succeeded", "failed", "cancelled", "mapping", ...).
bool MatchesStateFilter(JobState state, const std::string& filter);
// True for a filter MatchesStateFilter understands.
bool IsStateFilter(const std::string& filter);
// The filters, for help texts and errors: "all, running, finished, pending, mapping, ...".
std::string StateFilterChoices();

}  // namespace aviary::rpc

#endif  // AVIARY_RPC_JOB_STATES_H_
