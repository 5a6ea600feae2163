#include "coordinator/assignments.h"

#include <gtest/gtest.h>

#include <map>

namespace aviary::coordinator {
namespace {

Worker MakeWorker(const std::string& id, const std::string& address) {
  Worker w;
  w.id = id;
  w.info.set_address(address);
  return w;
}

// A job whose maps all ran, map m on worker m % 3.
Job DoneMaps(int maps) {
  Job job;
  job.id = "job-1";
  job.spec.set_reduce_tasks(2);
  for (int m = 0; m < maps; ++m) {
    Task t;
    t.kind = rpc::MAP;
    t.index = static_cast<uint32_t>(m);
    t.state = rpc::DONE;
    Attempt a;
    a.number = 1;
    a.worker_id = "w" + std::to_string(m % 3);
    a.worker_address = "host" + std::to_string(m % 3) + ":1";
    a.state = AttemptState::kSucceeded;
    t.attempts.push_back(a);
    t.winner = 0;
    job.maps.push_back(t);
  }
  for (uint32_t r = 0; r < 2; ++r) {
    Task t;
    t.kind = rpc::REDUCE;
    t.index = r;
    job.reduces.push_back(t);
  }
  return job;
}

// map task -> "worker@address#attempt", as a reduce's spec lists it.
std::map<uint32_t, std::string> Outputs(const rpc::TaskSpec& spec) {
  std::map<uint32_t, std::string> out;
  for (const rpc::MapOutputHost& host : spec.map_output_hosts()) {
    EXPECT_EQ(host.map_tasks_size(), host.attempts_size());
    for (int i = 0; i < host.map_tasks_size(); ++i) {
      EXPECT_TRUE(out.emplace(host.map_tasks(i), host.worker_id() + "@" + host.worker_address() + "#" +
                                                      std::to_string(host.attempts(i)))
                      .second);
    }
  }
  return out;
}

TEST(AssignmentsTest, AReduceListsEveryMapOutputByHost) {
  Job job = DoneMaps(7);
  const Worker reducer = MakeWorker("w9", "host9:1");
  const rpc::TaskSpec spec = StartAttempt(job, job.reduces[0], reducer, 0, 0);
  EXPECT_EQ(spec.map_output_hosts_size(), 3);  // three hosts, not seven entries
  const std::map<uint32_t, std::string> outputs = Outputs(spec);
  ASSERT_EQ(outputs.size(), 7u);
  EXPECT_EQ(outputs.at(4), "w1@host1:1#1");
  EXPECT_EQ(outputs.at(6), "w0@host0:1#1");
}

TEST(AssignmentsTest, AMapThatWonAgainIsListedWhereItRanLast) {
  Job job = DoneMaps(7);
  const Worker reducer = MakeWorker("w9", "host9:1");
  EXPECT_EQ(Outputs(StartAttempt(job, job.reduces[0], reducer, 0, 0)).at(4), "w1@host1:1#1");
  // Map 4's output was lost; it ran again on w1, which had come back at another port.
  Task& map = job.maps[4];
  Attempt again = map.attempts[0];
  again.number = 2;
  again.worker_address = "host1:2";
  map.attempts.push_back(again);
  map.winner = 1;
  const rpc::TaskSpec spec = StartAttempt(job, job.reduces[1], reducer, 0, 0);
  const std::map<uint32_t, std::string> outputs = Outputs(spec);
  EXPECT_EQ(outputs.at(4), "w1@host1:2#2");
  EXPECT_EQ(outputs.at(1), "w1@host1:1#1");
  EXPECT_EQ(outputs.at(6), "w0@host0:1#1");
  EXPECT_EQ(spec.map_output_hosts_size(), 4);  // w1 at both addresses
}

}  // namespace
}  // namespace aviary::coordinator
