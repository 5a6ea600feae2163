#include "rpc/job_states.h"

#include <gtest/gtest.h>

namespace aviary::rpc {
namespace {

TEST(JobStates, EndedStates) {
  EXPECT_TRUE(IsEnded(SUCCEEDED));
  EXPECT_TRUE(IsEnded(FAILED));
  EXPECT_TRUE(IsEnded(CANCELLED));
  EXPECT_FALSE(IsEnded(ABORTING)) << "still removing its temporary output";
  EXPECT_FALSE(IsEnded(MAPPING));
}

TEST(JobStates, FiltersByGroupOrByNameInAnyCase) {
  EXPECT_TRUE(MatchesStateFilter(MAPPING, "running"));
  EXPECT_FALSE(MatchesStateFilter(FAILED, "running"));
  EXPECT_TRUE(MatchesStateFilter(CANCELLED, "finished"));
  EXPECT_TRUE(MatchesStateFilter(FAILED, "Failed"));
  EXPECT_FALSE(MatchesStateFilter(SUCCEEDED, "failed"));
  EXPECT_TRUE(MatchesStateFilter(SUCCEEDED, ""));
  EXPECT_TRUE(MatchesStateFilter(SUCCEEDED, "all"));
}

TEST(JobStates, KnowsItsFiltersAndListsThem) {
  EXPECT_TRUE(IsStateFilter("succeeded"));
  EXPECT_TRUE(IsStateFilter("RUNNING"));
  EXPECT_FALSE(IsStateFilter("bogus"));
  EXPECT_FALSE(IsStateFilter("job_state_unspecified"));
  const std::string choices = StateFilterChoices();
  EXPECT_EQ(choices.rfind("all, running, finished, pending, mapping", 0), 0u) << choices;
  EXPECT_EQ(choices.find("unspecified"), std::string::npos);
}

}  // namespace
}  // namespace aviary::rpc
