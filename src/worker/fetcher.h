// Fetches one partition of every map output for a reduce attempt, several at a time, into local
// segment files. Map outputs whose worker cannot be reached after a few tries are reported as
// lost, so the coordinator re-executes those map tasks; once a host failed every try, its other
// outputs are reported lost without trying again. A failure to store what was fetched (a
// full disk here) is this attempt's own failure, not a lost map output.
#ifndef AVIARY_WORKER_FETCHER_H_
#define AVIARY_WORKER_FETCHER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "rpc/aviary.pb.h"
#include "rpc/channel_factory.h"
#include "worker/task_runner.h"

namespace aviary::worker {

struct FetchResult {
  std::vector<std::string> segment_files;  // one per map output fetched
  std::vector<uint32_t> lost_map_tasks;    // map tasks whose output could not be fetched
  uint64_t bytes = 0;
  Status error;                            // first error for a lost map output
  Status local_error;                      // first failure to store a fetched output locally
  // The channels the fetches went over, still open: closing one blocks for milliseconds (about
  // 4 ms on loopback), so a reducer that is about to exit leaves them open to its exit.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
};

// Fetches into DIR/segment-M for each map task M. The fetches from one host share a channel; a
// retry opens a fresh one, which connects at once where a failed one would back off. Waits
// between tries go through `env` (SleepForMicros) and connections through `channels`, so a test
// can run it on a fake clock against a fake network.
FetchResult FetchPartitions(Env* env, const rpc::TaskSpec& spec, const std::string& dir, ProgressReporter* progress,
                            rpc::ChannelFactory* channels = rpc::ChannelFactory::Default());

// Tries per map output before it is reported lost, and the wait before try t (t >= 1).
inline constexpr int kFetchTries = 4;
inline constexpr int64_t FetchBackoffMicros(int t) { return 200'000LL << t; }  // 0.4 s, 0.8 s, 1.6 s

}  // namespace aviary::worker

#endif  // AVIARY_WORKER_FETCHER_H_
