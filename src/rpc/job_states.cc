#include "rpc/job_states.h"

#include <cctype>

namespace aviary::rpc {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsRealState(int s) { return JobState_IsValid(s) && s != JOB_STATE_UNSPECIFIED; }

}  // namespace

bool IsEnded(JobState state) { return state == SUCCEEDED || state == FAILED || state == CANCELLED; }

bool IsStateFilter(const std::string& filter) {
  const std::string f = Lower(filter);
  if (f.empty() || f == "all" || f == "running" || f == "finished") return true;
  for (int s = JobState_MIN; s <= JobState_MAX; ++s) {
    if (IsRealState(s) && Lower(JobState_Name(static_cast<JobState>(s))) == f) return true;
  }
  return false;
}

bool MatchesStateFilter(JobState state, const std::string& filter) {
  const std::string f = Lower(filter);
  if (f.empty() || f == "all") return true;
  if (f == "running") return !IsEnded(state);
  if (f == "finished") return IsEnded(state);
  return Lower(JobState_Name(state)) == f;
}

std::string StateFilterChoices() {
  std::string out = "all, running, finished";
  for (int s = JobState_MIN; s <= JobState_MAX; ++s) {
    if (IsRealState(s)) out += ", " + Lower(JobState_Name(static_cast<JobState>(s)));
  }
  return out;
}

}  // namespace aviary::rpc
