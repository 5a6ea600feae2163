// Where a durable coordinator keeps its state: jobs, workers, and the leadership lease. The
// MongoDB implementation lives in mongo_metadata_store.cc; tests use an in-memory one.
//
// Leadership: a lease is one document per term, `_id` "term-<20 digits>". Taking term N is an
// insert of that document, so of two coordinators racing for N exactly one succeeds — on
// FerretDB only a unique `_id` insert is atomic (findAndModify is not). The holder bumps `seq`
// in its own document to show it is alive; nobody else ever writes that document.
//
// Thread safety: implementations are safe for concurrent use.
#ifndef AVIARY_COORDINATOR_METADATA_STORE_H_
#define AVIARY_COORDINATOR_METADATA_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "rpc/aviary.pb.h"

namespace aviary::coordinator {

struct Lease {
  uint64_t term = 0;
  std::string holder;  // the holder's RPC address
  uint64_t seq = 0;    // renewal counter
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  // Opens the store at `uri` (mongodb://HOST:PORT/DB); fails if the server cannot be reached.
  static StatusOr<std::unique_ptr<MetadataStore>> OpenMongo(const std::string& uri);
  static std::unique_ptr<MetadataStore> NewInMemory();

  // Saves a job as written by the coordinator of term `job.term()`. Refuses (ABORTED) to replace
  // a version written under a newer term: a superseded coordinator must not undo its successor's
  // work, not even with a write that was delayed in the network while it was cut off.
  virtual Status SaveJob(const rpc::JobRecord& job) = 0;
  virtual Status SaveWorker(const rpc::WorkerRecord& worker) = 0;
  // Forgets a job dropped after its retention time, and a worker long dead.
  virtual Status DeleteJob(const std::string& job_id) = 0;
  virtual Status DeleteWorker(const std::string& worker_id) = 0;
  virtual StatusOr<std::vector<rpc::JobRecord>> LoadJobs() = 0;
  virtual StatusOr<std::vector<rpc::WorkerRecord>> LoadWorkers() = 0;

  // Plugin libraries by SHA-256 (stored in chunks below MongoDB's 16 MiB document limit).
  virtual Status SavePlugin(const std::string& sha256, const std::string& library) = 0;
  virtual StatusOr<std::string> LoadPlugin(const std::string& sha256) = 0;
  virtual Status DeletePlugin(const std::string& sha256) = 0;

  // The lease with the highest term, if any.
  virtual StatusOr<std::optional<Lease>> LatestLease() = 0;
  // Claims `term`; false (and OK) when another coordinator claimed it first.
  virtual StatusOr<bool> TryAcquire(uint64_t term, const std::string& holder) = 0;
  // REQUIRES: this process holds `term`.
  virtual Status Renew(uint64_t term, uint64_t seq) = 0;
};

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_METADATA_STORE_H_
