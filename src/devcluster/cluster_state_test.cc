#include "devcluster/cluster_state.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "common/scratch_dir.h"

namespace aviary::devcluster {
namespace {

class ClusterStateTest : public ::testing::Test {
 protected:
  ScratchDir scratch_;
  const std::string dir_ = scratch_.path();
};

TEST_F(ClusterStateTest, RoundTrip) {
  ClusterState state;
  state.dir = dir_;
  state.config = {"config", 7000, dir_ + "/config", {11, 111, dir_ + "/logs/config.log"}};
  state.shards.push_back({"shard0", 7001, dir_ + "/shards/shard0", {12, 112, "l0"}});
  state.coordinators.push_back({7002, 7480, {13, 113, "lc"}});
  state.workers.push_back({"shard0", "127.0.0.1:9000", dir_ + "/workers/0", {14, 114, "lw"}});
  ASSERT_TRUE(SaveClusterState(state).ok());
  StatusOr<ClusterState> back = LoadClusterState(dir_);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->entry_uri(), "mongodb://127.0.0.1:7000/");
  ASSERT_EQ(back->shards.size(), 1u);
  EXPECT_EQ(back->shards[0].uri(), "mongodb://127.0.0.1:7001/");
  EXPECT_EQ(back->shards[0].proc.start_ticks, 112u);
  EXPECT_EQ(back->coordinators[0].address(), "127.0.0.1:7002");
  EXPECT_EQ(back->coordinators[0].http_url(), "http://127.0.0.1:7480/");
  EXPECT_EQ(back->workers[0].address, "127.0.0.1:9000");
  EXPECT_EQ(back->workers[0].proc.pid, 14);
  // Stop order: workers, coordinators, then servers.
  const std::vector<ProcessRef> all = back->Processes();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].pid, 14);
  EXPECT_EQ(all[1].pid, 13);
}

TEST_F(ClusterStateTest, MissingAndDamagedFiles) {
  StatusOr<ClusterState> missing = LoadClusterState(dir_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("aviary cluster up --dir"), std::string::npos);
  std::ofstream(ClusterFile(dir_)) << "{\"config\": 5}";
  StatusOr<ClusterState> damaged = LoadClusterState(dir_);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace aviary::devcluster
