#include "worker/fetcher.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "rpc/aviary.grpc.pb.h"
#include "rpc/grpc_util.h"
#include "shuffle/map_output.h"
#include "worker/layout.h"

namespace aviary::worker {
namespace {

constexpr int kParallelFetches = 4;
// Per fetch stream: at 1 MiB ahead of the reader a stream still moves about 2 GB/s at 0.5 ms of
// round trip, and a reducer's fetches stay within a few MB. Left to tune itself (BDP probing),
// gRPC let a loopback stream run 10+ MB ahead of the disk writes.
constexpr int kFetchWindowBytes = 1 << 20;

// One map task's output to fetch, and the host that holds it.
struct MapOutput {
  uint32_t map_task;
  uint32_t attempt;
  const std::string* address;
  bool on_this_worker;  // held by the worker running this attempt: read from disk
};

std::vector<MapOutput> MapOutputsOf(const rpc::TaskSpec& spec) {
  std::vector<MapOutput> outputs;
  for (const rpc::MapOutputHost& host : spec.map_output_hosts()) {
    const bool here = !spec.worker_id().empty() && host.worker_id() == spec.worker_id();
    for (int i = 0; i < host.map_tasks_size(); ++i) {
      outputs.push_back(
          {host.map_tasks(i), i < host.attempts_size() ? host.attempts(i) : 0, &host.worker_address(), here});
    }
  }
  return outputs;
}

// A map output on this worker's own disk: its partition is copied straight from the file, as the
// shuffle service would serve it, with no connection (and no gRPC at all when every output is
// here). The path is built from the attempt's own directory and numbers, never from a string
// the coordinator sent. Sets `*local` when the failure is in storing the copy.
Status CopyLocalPartition(Env* env, const rpc::TaskSpec& spec, const MapOutput& loc, const std::string& path,
                          uint64_t* bytes, bool* local) {
  *local = false;
  const std::string source = MapOutputPath(SiblingAttemptDir(spec.work_dir(), rpc::MAP, loc.map_task, loc.attempt));
  ASSIGN_OR_RETURN(const shuffle::SegmentRange range, shuffle::LocatePartition(env, source, spec.task()));
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> in, env->NewRandomAccessFile(source));
  *local = true;
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> out, env->NewWritableFile(path));
  std::string scratch(std::min<uint64_t>(range.length, kFetchWindowBytes), '\0');
  for (uint64_t offset = range.offset, end = range.offset + range.length; offset < end;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(scratch.size(), end - offset));
    std::string_view data;
    *local = false;
    RETURN_IF_ERROR(in->Read(offset, n, scratch.data(), &data));
    if (data.size() != n) return DataLoss(source + " is shorter than its index says");
    *local = true;
    RETURN_IF_ERROR(out->Append(data));
    offset += n;
  }
  *bytes = range.length;
  return out->Close();
}

// One channel per host, opened on first use; every channel handed out is kept in `opened_`.
class HostChannels {
 public:
  explicit HostChannels(rpc::ChannelFactory* factory) : factory_(factory) {}

  std::shared_ptr<grpc::Channel> Get(const std::string& address, bool fresh) {
    std::lock_guard<std::mutex> lock(mu_);
    std::shared_ptr<grpc::Channel>& channel = by_host_[address];
    if (!channel || fresh) {
      rpc::ChannelOptions options;
      options.window_bytes = kFetchWindowBytes;
      channel = factory_->NewChannel(address, options);
      opened_.push_back(channel);
    }
    return channel;
  }

  std::vector<std::shared_ptr<grpc::Channel>> TakeOpened() {
    std::lock_guard<std::mutex> lock(mu_);
    by_host_.clear();
    return std::move(opened_);
  }

 private:
  rpc::ChannelFactory* const factory_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> by_host_;  // GUARDED_BY(mu_)
  std::vector<std::shared_ptr<grpc::Channel>> opened_;            // GUARDED_BY(mu_)
};

// Sets `*local` when the failure is in storing the data here, not in fetching it.
Status FetchOnce(Env* env, const std::shared_ptr<grpc::Channel>& channel, const rpc::TaskSpec& spec,
                 const MapOutput& loc, const std::string& path, uint64_t* bytes, bool* local) {
  *local = true;
  const std::string& address = *loc.address;
  auto stub = rpc::Worker::NewStub(channel);
  grpc::ClientContext context;
  rpc::PrepareContext(&context, std::chrono::minutes(10));
  rpc::FetchPartitionRequest request;
  request.set_job_id(spec.job_id());
  request.set_map_task(loc.map_task);
  request.set_attempt(loc.attempt);
  request.set_partition(spec.task());
  ASSIGN_OR_RETURN(auto file, env->NewWritableFile(path));
  *local = false;
  auto reader = stub->FetchPartition(&context, request);
  rpc::DataChunk chunk;
  uint64_t expected = 0;
  *bytes = 0;
  Status write_status;
  while (reader->Read(&chunk)) {
    if (chunk.total_bytes()) expected = chunk.total_bytes();
    *bytes += chunk.data().size();
    if (write_status.ok()) write_status = file->Append(chunk.data());
  }
  Status s = rpc::FromGrpc(reader->Finish(), address);
  if (write_status.ok() && s.ok()) write_status = file->Close();
  if (!write_status.ok()) {
    *local = true;
    return write_status;
  }
  if (s.ok() && *bytes != expected) s = DataLoss("short fetch from " + address);
  return s;
}

}  // namespace

FetchResult FetchPartitions(Env* env, const rpc::TaskSpec& spec, const std::string& dir, ProgressReporter* progress,
                            rpc::ChannelFactory* channels) {
  FetchResult result;
  const std::vector<MapOutput> outputs = MapOutputsOf(spec);
  const int n = static_cast<int>(outputs.size());
  result.segment_files.resize(static_cast<size_t>(n));
  std::mutex mu;
  std::set<std::string> unreachable;  // GUARDED_BY(mu): hosts that failed every try already
  auto given_up = [&](const std::string& address) {
    std::lock_guard<std::mutex> lock(mu);
    return unreachable.count(address) > 0;
  };
  HostChannels host_channels(channels);
  std::atomic<int> next{0};
  std::atomic<uint64_t> total{0};
  auto work = [&] {
    for (int i = next++; i < n; i = next++) {
      const MapOutput& loc = outputs[static_cast<size_t>(i)];
      const std::string& address = *loc.address;
      const std::string path = dir + "/segment-" + std::to_string(loc.map_task);
      Status s;
      uint64_t bytes = 0;
      bool local = false;
      for (int t = 0; t < kFetchTries; ++t) {
        if (loc.on_this_worker) {  // a retry would read the same file: no point
          s = CopyLocalPartition(env, spec, loc, path, &bytes, &local);
          break;
        }
        // The other outputs of a host that vanished are lost too: do not wait for each in turn.
        if (given_up(address)) {
          s = Unavailable("cannot reach " + address + " (earlier fetches from it failed)");
          break;
        }
        if (t > 0) env->SleepForMicros(FetchBackoffMicros(t));
        s = FetchOnce(env, host_channels.Get(address, /*fresh=*/t > 0), spec, loc, path, &bytes, &local);
        // NotFound means the worker is up but lost the file: no point retrying.
        if (s.ok() || local || s.code() == StatusCode::kNotFound) break;
      }
      total += bytes;
      progress->Report(total.load());
      std::lock_guard<std::mutex> lock(mu);
      if (s.ok()) {
        result.segment_files[static_cast<size_t>(i)] = path;
      } else if (local) {
        if (result.local_error.ok()) {
          result.local_error = s.WithContext("storing map task " + std::to_string(loc.map_task) + " output");
        }
      } else {
        if (s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded) {
          unreachable.insert(address);
        }
        result.lost_map_tasks.push_back(loc.map_task);
        if (result.error.ok()) {
          result.error = s.WithContext("fetching map task " + std::to_string(loc.map_task) + " output from " + address);
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::min(kParallelFetches, n); ++t) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  result.bytes = total.load();
  result.channels = host_channels.TakeOpened();
  return result;
}

}  // namespace aviary::worker
