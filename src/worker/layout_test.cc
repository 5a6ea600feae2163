#include "worker/layout.h"

#include <gtest/gtest.h>

namespace aviary::worker {
namespace {

TEST(LayoutTest, AcceptsGeneratedJobIds) {
  EXPECT_TRUE(IsValidJobId("job-20261127-033108-16e2f"));
  EXPECT_TRUE(IsValidJobId("a_b-C9"));
}

TEST(LayoutTest, RefusesAnythingThatCouldLeaveTheDataDir) {
  for (const char* bad : {"", "..", "../etc", "a/b", "a\\b", "job id", "job\n", "~root", "%2e%2e"}) {
    EXPECT_FALSE(IsValidJobId(bad)) << bad;
  }
  EXPECT_FALSE(IsValidJobId(std::string(129, 'a')));
}

TEST(LayoutTest, PathsAreBuiltFromValidatedParts) {
  EXPECT_EQ(AttemptDir("/d", "job-1", rpc::MAP, 3, 2), "/d/jobs/job-1/map-3-2");
  EXPECT_EQ(MapOutputPath(AttemptDir("/d", "job-1", rpc::REDUCE, 0, 1)), "/d/jobs/job-1/reduce-0-1/output");
  // A reducer finds this worker's map outputs beside its own directory.
  EXPECT_EQ(SiblingAttemptDir(AttemptDir("/d", "job-1", rpc::REDUCE, 0, 1), rpc::MAP, 7, 3),
            AttemptDir("/d", "job-1", rpc::MAP, 7, 3));
}

}  // namespace
}  // namespace aviary::worker
