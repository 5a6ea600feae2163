// A MetadataStore that forwards every call to an inner one: the base of tests and benchmarks
// that change one behaviour of a store (fail on demand, count bytes) and keep the rest.
#ifndef AVIARY_COORDINATOR_FORWARDING_STORE_H_
#define AVIARY_COORDINATOR_FORWARDING_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/metadata_store.h"

namespace aviary::coordinator {

class ForwardingStore : public MetadataStore {
 public:
  explicit ForwardingStore(std::unique_ptr<MetadataStore> inner = MetadataStore::NewInMemory())
      : inner_(std::move(inner)) {}

  Status SaveJob(const rpc::JobRecord& job) override { return inner_->SaveJob(job); }
  Status SaveWorker(const rpc::WorkerRecord& worker) override { return inner_->SaveWorker(worker); }
  Status DeleteJob(const std::string& id) override { return inner_->DeleteJob(id); }
  Status DeleteWorker(const std::string& id) override { return inner_->DeleteWorker(id); }
  StatusOr<std::vector<rpc::JobRecord>> LoadJobs() override { return inner_->LoadJobs(); }
  StatusOr<std::vector<rpc::WorkerRecord>> LoadWorkers() override { return inner_->LoadWorkers(); }
  Status SavePlugin(const std::string& sha, const std::string& lib) override { return inner_->SavePlugin(sha, lib); }
  StatusOr<std::string> LoadPlugin(const std::string& sha) override { return inner_->LoadPlugin(sha); }
  Status DeletePlugin(const std::string& sha) override { return inner_->DeletePlugin(sha); }
  StatusOr<std::optional<Lease>> LatestLease() override { return inner_->LatestLease(); }
  StatusOr<bool> TryAcquire(uint64_t term, const std::string& holder) override {
    return inner_->TryAcquire(term, holder);
  }
  Status Renew(uint64_t term, uint64_t seq) override { return inner_->Renew(term, seq); }

 private:
  std::unique_ptr<MetadataStore> inner_;
};

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_FORWARDING_STORE_H_
