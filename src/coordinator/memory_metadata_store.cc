// An in-memory MetadataStore for tests: the same contract, no server.
#include <map>
#include <mutex>

#include "coordinator/metadata_store.h"

namespace aviary::coordinator {
namespace {

class MemoryStore : public MetadataStore {
 public:
  Status SaveJob(const rpc::JobRecord& job) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = jobs_.find(job.job_id());
    if (it != jobs_.end() && it->second.term() > job.term()) {
      return Aborted("job " + job.job_id() + " was saved by the coordinator of term " +
                     std::to_string(it->second.term()) + "; term " + std::to_string(job.term()) + " is stale");
    }
    jobs_[job.job_id()] = job;
    return Status::OK();
  }
  Status SaveWorker(const rpc::WorkerRecord& worker) override {
    std::lock_guard<std::mutex> lock(mu_);
    workers_[worker.worker_id()] = worker;
    return Status::OK();
  }
  Status DeleteJob(const std::string& job_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.erase(job_id);
    return Status::OK();
  }
  Status DeleteWorker(const std::string& worker_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    workers_.erase(worker_id);
    return Status::OK();
  }
  StatusOr<std::vector<rpc::JobRecord>> LoadJobs() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<rpc::JobRecord> out;
    for (const auto& [id, job] : jobs_) out.push_back(job);
    return out;
  }
  StatusOr<std::vector<rpc::WorkerRecord>> LoadWorkers() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<rpc::WorkerRecord> out;
    for (const auto& [id, w] : workers_) out.push_back(w);
    return out;
  }
  Status SavePlugin(const std::string& sha256, const std::string& library) override {
    std::lock_guard<std::mutex> lock(mu_);
    plugins_[sha256] = library;
    return Status::OK();
  }
  StatusOr<std::string> LoadPlugin(const std::string& sha256) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = plugins_.find(sha256);
    if (it == plugins_.end()) return NotFound("no plugin " + sha256);
    return it->second;
  }
  Status DeletePlugin(const std::string& sha256) override {
    std::lock_guard<std::mutex> lock(mu_);
    plugins_.erase(sha256);
    return Status::OK();
  }
  StatusOr<std::optional<Lease>> LatestLease() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (leases_.empty()) return std::optional<Lease>();
    return std::optional<Lease>(leases_.rbegin()->second);
  }
  StatusOr<bool> TryAcquire(uint64_t term, const std::string& holder) override {
    std::lock_guard<std::mutex> lock(mu_);
    return leases_.emplace(term, Lease{term, holder, 0}).second;
  }
  Status Renew(uint64_t term, uint64_t seq) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = leases_.find(term);
    if (it == leases_.end()) return NotFound("no lease for term " + std::to_string(term));
    it->second.seq = seq;
    return Status::OK();
  }

 private:
  std::mutex mu_;
  std::map<std::string, rpc::JobRecord> jobs_;
  std::map<std::string, rpc::WorkerRecord> workers_;
  std::map<uint64_t, Lease> leases_;
  std::map<std::string, std::string> plugins_;
};

}  // namespace

std::unique_ptr<MetadataStore> MetadataStore::NewInMemory() { return std::make_unique<MemoryStore>(); }

}  // namespace aviary::coordinator
