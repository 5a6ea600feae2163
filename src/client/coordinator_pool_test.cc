#include "client/coordinator_pool.h"

#include <gtest/gtest.h>

#include <atomic>

#include "client/coordinator_client.h"
#include "rpc/fake_network.h"

namespace aviary::client {
namespace {

// A coordinator that is active (answers GetJob) or a standby (refuses everything with
// UNAVAILABLE, as the real one does until it holds the lease).
class FakeCoordinator final : public rpc::Coordinator::Service {
 public:
  explicit FakeCoordinator(bool active) : active_(active) {}

  grpc::Status GetJob(grpc::ServerContext*, const rpc::GetJobRequest* request, rpc::JobStatus* response) override {
    ++calls;
    if (!active_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "standby coordinator is not active");
    if (request->job_id() == "missing") return grpc::Status(grpc::StatusCode::NOT_FOUND, "no job missing");
    response->set_job_id(request->job_id());
    response->set_state(rpc::MAPPING);
    return grpc::Status::OK;
  }

  std::atomic<int> calls{0};

 private:
  const bool active_;
};

class FailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    network_.Serve("standby:1", &standby_);
    network_.Serve("active:1", &active_);
    network_.Serve("standby:2", &standby2_);
  }

  FakeCoordinator standby_{false};
  FakeCoordinator standby2_{false};
  FakeCoordinator active_{true};
  rpc::FakeNetwork network_;
};

TEST(ParseAddressList, SkipsEmptyEntries) {
  EXPECT_EQ(ParseAddressList("a:1,b:2,,c:3,"), (std::vector<std::string>{"a:1", "b:2", "c:3"}));
  EXPECT_EQ(ParseAddressList("a:1"), (std::vector<std::string>{"a:1"}));
  EXPECT_TRUE(ParseAddressList("").empty());
  EXPECT_TRUE(ParseAddressList(",").empty());
}

TEST_F(FailoverTest, StandbyFirstThenActiveAnswersAndIsKept) {
  CoordinatorClient client("standby:1,active:1", &network_);
  StatusOr<rpc::JobStatus> job = client.GetJob("job-1", false);
  ASSERT_TRUE(job.ok()) << job.status().message();
  EXPECT_EQ(job->job_id(), "job-1");
  EXPECT_EQ(standby_.calls, 1);
  EXPECT_EQ(active_.calls, 1);
  // The next call goes to the coordinator that answered, not to the standby again.
  ASSERT_TRUE(client.GetJob("job-2", false).ok());
  EXPECT_EQ(standby_.calls, 1);
  EXPECT_EQ(active_.calls, 2);
}

TEST_F(FailoverTest, UnreachableFirstThenActiveAnswers) {
  CoordinatorClient client("gone:1,active:1", &network_);
  StatusOr<rpc::JobStatus> job = client.GetJob("job-1", false);
  ASSERT_TRUE(job.ok()) << job.status().message();
  EXPECT_EQ(active_.calls, 1);
}

TEST_F(FailoverTest, NoActiveCoordinatorIsUnavailableAfterAskingEachOnce) {
  CoordinatorClient client("standby:1,gone:1,standby:2", &network_);
  StatusOr<rpc::JobStatus> job = client.GetJob("job-1", false);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(standby_.calls, 1);
  EXPECT_EQ(standby2_.calls, 1);
}

// An answer that is not about reachability comes from the active coordinator: no failover.
TEST_F(FailoverTest, OtherErrorsEndTheCallWithoutTryingTheNext) {
  CoordinatorPool pool("active:1,standby:1", &network_);
  Status s = pool.Invoke(std::chrono::seconds(5), [](rpc::Coordinator::Stub& stub, grpc::ClientContext* context) {
    rpc::GetJobRequest request;
    request.set_job_id("missing");
    rpc::JobStatus response;
    return stub.GetJob(context, request, &response);
  });
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(active_.calls, 1);
  EXPECT_EQ(standby_.calls, 0);
  EXPECT_EQ(pool.current_address(), "active:1");
}

}  // namespace
}  // namespace aviary::client
