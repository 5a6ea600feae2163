#include "worker/split_claims.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/scratch_dir.h"

namespace aviary::worker {
namespace {

rpc::SplitGrant GrantOf(uint32_t seq, uint32_t task) {
  rpc::SplitGrant grant;
  grant.set_seq(seq);
  grant.set_granted(true);
  grant.set_task(task);
  grant.mutable_split()->set_index(task);
  return grant;
}

TEST(SplitClaimsTest, EachClaimIsSeenByTheWorkerAndAnsweredInTurn) {
  ScratchDir dir;
  Env* env = Env::Default();
  SplitClaimer claimer(env, dir.path());
  EXPECT_FALSE(HasClaim(env, dir.path(), 1));
  ASSERT_TRUE(claimer.Claim().ok());
  EXPECT_TRUE(HasClaim(env, dir.path(), 1));
  EXPECT_FALSE(HasClaim(env, dir.path(), 2));
  ASSERT_TRUE(WriteGrant(env, dir.path(), GrantOf(1, 7)).ok());
  StatusOr<std::optional<rpc::SplitGrant>> first = claimer.AwaitGrant();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->task(), 7u);

  ASSERT_TRUE(claimer.Claim().ok());
  EXPECT_TRUE(HasClaim(env, dir.path(), 2));
  rpc::SplitGrant none;
  none.set_seq(2);
  ASSERT_TRUE(WriteGrant(env, dir.path(), none).ok());
  StatusOr<std::optional<rpc::SplitGrant>> second = claimer.AwaitGrant();
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->has_value());
  EXPECT_FALSE(claimer.claim_open());
}

TEST(SplitClaimsTest, TheRunnerWaitsForAnAnswerThatComesLater) {
  ScratchDir dir;
  Env* env = Env::Default();
  SplitClaimer claimer(env, dir.path());
  ASSERT_TRUE(claimer.Claim().ok());
  std::thread worker([&] {
    env->SleepForMicros(20'000);
    ASSERT_TRUE(WriteGrant(env, dir.path(), GrantOf(1, 3)).ok());
  });
  StatusOr<std::optional<rpc::SplitGrant>> grant = claimer.AwaitGrant();
  worker.join();
  ASSERT_TRUE(grant.ok());
  ASSERT_TRUE(grant->has_value());
  EXPECT_EQ((*grant)->task(), 3u);
}

TEST(SplitClaimsTest, OneClaimAtATimeAndNoAnswerWithoutAClaim) {
  ScratchDir dir;
  SplitClaimer claimer(Env::Default(), dir.path());
  EXPECT_EQ(claimer.AwaitGrant().status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(claimer.Claim().ok());
  EXPECT_EQ(claimer.Claim().code(), StatusCode::kFailedPrecondition);
}

TEST(SplitClaimsTest, AGrantForAnotherClaimIsRefused) {
  ScratchDir dir;
  Env* env = Env::Default();
  SplitClaimer claimer(env, dir.path());
  ASSERT_TRUE(claimer.Claim().ok());
  ASSERT_TRUE(WriteFileAtomically(env, GrantPath(dir.path(), 1), GrantOf(5, 1).SerializeAsString()).ok());
  EXPECT_EQ(claimer.AwaitGrant().status().code(), StatusCode::kDataLoss);
}

TEST(SplitClaimsTest, TheCarriedSplitBeingReadIsThereForTheWorkerUntilCleared) {
  ScratchDir dir;
  Env* env = Env::Default();
  EXPECT_FALSE(ReadingCarried(env, dir.path()).has_value());
  ASSERT_TRUE(ClearReadingCarried(env, dir.path()).ok());  // nothing to clear
  ASSERT_TRUE(NoteReadingCarried(env, dir.path(), 12).ok());
  EXPECT_EQ(ReadingCarried(env, dir.path()), std::optional<uint32_t>(12));
  ASSERT_TRUE(NoteReadingCarried(env, dir.path(), 4000000000u).ok());
  EXPECT_EQ(ReadingCarried(env, dir.path()), std::optional<uint32_t>(4000000000u));
  ASSERT_TRUE(ClearReadingCarried(env, dir.path()).ok());
  EXPECT_FALSE(ReadingCarried(env, dir.path()).has_value());
  // What a dying runner may leave half-made is no task at all.
  ASSERT_TRUE(WriteFileAtomically(env, dir.Join("reading-carried"), "12x").ok());
  EXPECT_FALSE(ReadingCarried(env, dir.path()).has_value());
  ASSERT_TRUE(WriteFileAtomically(env, dir.Join("reading-carried"), "99999999999").ok());
  EXPECT_FALSE(ReadingCarried(env, dir.path()).has_value());
}

}  // namespace
}  // namespace aviary::worker
