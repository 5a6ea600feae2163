// The worker's gRPC service: streams one partition of one finished map output to a reducer.
#ifndef AVIARY_WORKER_SHUFFLE_SERVICE_H_
#define AVIARY_WORKER_SHUFFLE_SERVICE_H_

#include <string>

#include "common/env.h"
#include "rpc/aviary.grpc.pb.h"

namespace aviary::worker {

class ShuffleService final : public rpc::Worker::Service {
 public:
  ShuffleService(Env* env, std::string data_dir) : env_(env), data_dir_(std::move(data_dir)) {}

  grpc::Status FetchPartition(grpc::ServerContext* context, const rpc::FetchPartitionRequest* request,
                              grpc::ServerWriter<rpc::DataChunk>* writer) override;

 private:
  Env* env_;  // not owned
  const std::string data_dir_;
};

}  // namespace aviary::worker

#endif  // AVIARY_WORKER_SHUFFLE_SERVICE_H_
