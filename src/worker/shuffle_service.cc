#include "worker/shuffle_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "rpc/auth.h"
#include "rpc/grpc_util.h"
#include "shuffle/map_output.h"
#include "worker/layout.h"

namespace aviary::worker {
namespace {
// Small enough that the streams a worker serves at once stay a few MB, large enough that a
// message costs far more in bytes than in gRPC overhead.
constexpr size_t kChunkBytes = 256 << 10;
}  // namespace

grpc::Status ShuffleService::FetchPartition(grpc::ServerContext* context, const rpc::FetchPartitionRequest* request,
                                            grpc::ServerWriter<rpc::DataChunk>* writer) {
  if (auto s = rpc::CheckAuth(context, "FetchPartition"); !s.ok()) return rpc::ToGrpc(s);
  if (!IsValidJobId(request->job_id())) {
    spdlog::warn("refused fetch with a malformed job id from {}", context->peer());
    return rpc::ToGrpc(InvalidArgument("malformed job id"));
  }
  const std::string path = MapOutputPath(
      AttemptDir(data_dir_, request->job_id(), rpc::MAP, request->map_task(), request->attempt()));
  StatusOr<shuffle::SegmentRange> range = shuffle::LocatePartition(env_, path, request->partition());
  if (!range.ok()) {
    return rpc::ToGrpc(Status(range.status().code() == StatusCode::kNotFound ? StatusCode::kNotFound
                                                                             : range.status().code(),
                              "map output of " + request->job_id() + " map task " +
                                  std::to_string(request->map_task()) + ": " + range.status().message()));
  }
  StatusOr<std::unique_ptr<RandomAccessFile>> file = env_->NewRandomAccessFile(path);
  if (!file.ok()) return rpc::ToGrpc(file.status());

  std::string scratch(kChunkBytes, '\0');
  uint64_t offset = range->offset;
  const uint64_t end = range->offset + range->length;
  bool first = true;
  do {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunkBytes, end - offset));
    std::string_view data;
    Status s = (*file)->Read(offset, n, scratch.data(), &data);
    if (!s.ok()) return rpc::ToGrpc(s);
    if (data.size() != n) return rpc::ToGrpc(DataLoss(path + " is shorter than its index says"));
    rpc::DataChunk chunk;
    chunk.set_data(data.data(), data.size());
    if (first) chunk.set_total_bytes(range->length);
    first = false;
    if (!writer->Write(chunk)) return grpc::Status(grpc::StatusCode::CANCELLED, "reducer went away");
    offset += n;
  } while (offset < end);
  return grpc::Status::OK;
}

}  // namespace aviary::worker
