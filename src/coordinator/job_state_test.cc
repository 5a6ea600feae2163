#include "coordinator/job_state.h"

#include <gtest/gtest.h>

namespace aviary::coordinator {
namespace {

TEST(JobStateTest, TheLifecycleOfASuccessfulJob) {
  Job job;
  job.id = "j";
  for (JobPhase p : {JobPhase::kMapping, JobPhase::kReducing, JobPhase::kMapping, JobPhase::kReducing,
                     JobPhase::kCommitting, JobPhase::kCommitUnderway, JobPhase::kSucceeded}) {
    job.SetPhase(p);
    EXPECT_EQ(job.phase, p);
  }
  EXPECT_TRUE(job.finished());
}

TEST(JobStateTest, ClientsSeeTheStatesTheyKnew) {
  EXPECT_EQ(PublicState(JobPhase::kCommitting), rpc::COMMITTING);
  EXPECT_EQ(PublicState(JobPhase::kCommitUnderway), rpc::COMMITTING);
  EXPECT_EQ(PublicState(JobPhase::kFailing), rpc::ABORTING);
  EXPECT_EQ(PublicState(JobPhase::kCancelling), rpc::ABORTING);
  EXPECT_EQ(PublicState(JobPhase::kCancelled), rpc::CANCELLED);
}

TEST(JobStateTest, OnlyRunningJobsCanFailOrBeCancelled) {
  for (JobPhase from : {JobPhase::kMapping, JobPhase::kReducing, JobPhase::kCommitting}) {
    EXPECT_TRUE(IsLegalTransition(from, JobPhase::kFailing)) << PhaseName(from);
    EXPECT_TRUE(IsLegalTransition(from, JobPhase::kCancelling)) << PhaseName(from);
  }
  for (JobPhase from : {JobPhase::kCommitUnderway, JobPhase::kSucceeded, JobPhase::kFailed, JobPhase::kCancelled,
                        JobPhase::kFailing}) {
    EXPECT_FALSE(IsLegalTransition(from, JobPhase::kCancelling)) << PhaseName(from);
  }
  EXPECT_FALSE(IsLegalTransition(JobPhase::kFailing, JobPhase::kCancelled));
  EXPECT_FALSE(IsLegalTransition(JobPhase::kSucceeded, JobPhase::kFailed));
}

TEST(JobStateTest, OnlyASucceededAttemptCanBeLostAfterItEnded) {
  EXPECT_TRUE(IsLegalTransition(AttemptState::kRunning, AttemptState::kKilled));
  EXPECT_TRUE(IsLegalTransition(AttemptState::kSucceeded, AttemptState::kLost));
  EXPECT_FALSE(IsLegalTransition(AttemptState::kFailed, AttemptState::kSucceeded));
  EXPECT_FALSE(IsLegalTransition(AttemptState::kLost, AttemptState::kRunning));
  EXPECT_FALSE(IsLegalTransition(AttemptState::kRunning, AttemptState::kRunning));
}

TEST(JobStateTest, NamesRoundTrip) {
  for (JobPhase p : {JobPhase::kPlanning, JobPhase::kCommitUnderway, JobPhase::kCancelled}) {
    EXPECT_EQ(PhaseFromName(PhaseName(p)), p);
  }
  EXPECT_EQ(PhaseFromName("bogus"), std::nullopt);
  EXPECT_EQ(AttemptStateFromName("lost"), AttemptState::kLost);
}

TEST(JobStateDeathTest, AnIllegalTransitionCrashesTheCoordinator) {
  Job job;
  job.id = "j";
  job.SetPhase(JobPhase::kMapping);
  job.SetPhase(JobPhase::kCancelling);
  EXPECT_DEATH(job.SetPhase(JobPhase::kSucceeded), "cancelling to succeeded");
  Attempt a;
  a.SetState(AttemptState::kFailed);
  EXPECT_DEATH(a.SetState(AttemptState::kSucceeded), "failed to succeeded");
}

}  // namespace
}  // namespace aviary::coordinator
