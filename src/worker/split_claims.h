// How a running map attempt asks its worker for more splits (coordinator/carried_splits.h),
// through files in the attempt's work dir: the runner creates `claim-N` for its N-th claim, the
// worker passes the claim on in its next heartbeat (at once: the runner reports progress right
// after the claim, which wakes the worker) and writes the coordinator's answer, a SplitGrant, to `grant-N` by rename. Files
// rather than a socket: the task process already shares the work dir with the worker, and a
// worker restarted mid-claim finds nothing half-written.
//
// Thread safety: none; each side is used by one thread.
#ifndef AVIARY_WORKER_SPLIT_CLAIMS_H_
#define AVIARY_WORKER_SPLIT_CLAIMS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "common/env.h"
#include "common/status.h"
#include "rpc/aviary.pb.h"

namespace aviary::worker {

std::string ClaimPath(const std::string& work_dir, uint32_t seq);
std::string GrantPath(const std::string& work_dir, uint32_t seq);

// The runner's side.
class SplitClaimer {
 public:
  SplitClaimer(Env* env, std::string work_dir) : env_(env), work_dir_(std::move(work_dir)) {}
  // Asks for one more split. At most one claim is open at a time.
  Status Claim();
  // Waits for the answer to the open claim: the grant, or nullopt when there is nothing more.
  // Waits as long as it takes: a worker that cannot answer kills a stalled attempt.
  StatusOr<std::optional<rpc::SplitGrant>> AwaitGrant();
  bool claim_open() const { return open_; }

 private:
  Env* env_;
  std::string work_dir_;
  uint32_t seq_ = 0;  // claims made
  bool open_ = false;
};

// Which carried split the attempt in `work_dir` reads now, for a worker that finds it dead (a
// crash in Map there is that task's failure): the runner notes it before each carried split and
// clears it once it has read them all.
Status NoteReadingCarried(Env* env, const std::string& work_dir, uint32_t task);
Status ClearReadingCarried(Env* env, const std::string& work_dir);
std::optional<uint32_t> ReadingCarried(Env* env, const std::string& work_dir);

// The worker's side: whether the attempt in `work_dir` made its claim `seq`.
bool HasClaim(Env* env, const std::string& work_dir, uint32_t seq);
// Hands `grant` (an answer to claim grant.seq()) to the attempt in `work_dir`.
Status WriteGrant(Env* env, const std::string& work_dir, const rpc::SplitGrant& grant);

}  // namespace aviary::worker

#endif  // AVIARY_WORKER_SPLIT_CLAIMS_H_
