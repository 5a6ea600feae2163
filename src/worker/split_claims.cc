#include "worker/split_claims.h"

namespace aviary::worker {

std::string ClaimPath(const std::string& work_dir, uint32_t seq) { return work_dir + "/claim-" + std::to_string(seq); }
std::string GrantPath(const std::string& work_dir, uint32_t seq) { return work_dir + "/grant-" + std::to_string(seq); }

Status SplitClaimer::Claim() {
  if (open_) return FailedPrecondition("a split claim is already open");
  RETURN_IF_ERROR(WriteFileAtomically(env_, ClaimPath(work_dir_, seq_ + 1), "", Durability::kUnsynced)
                      .WithContext("claiming a split"));
  ++seq_;
  open_ = true;
  return Status::OK();
}

StatusOr<std::optional<rpc::SplitGrant>> SplitClaimer::AwaitGrant() {
  if (!open_) return FailedPrecondition("no split claim is open");
  // The claim is made when a split starts, so the answer is usually there when it ends.
  constexpr int64_t kPollUs = 200;
  const std::string path = GrantPath(work_dir_, seq_);
  while (!env_->FileExists(path)) env_->SleepForMicros(kPollUs);
  std::string bytes;
  RETURN_IF_ERROR(ReadFileToString(env_, path, &bytes).WithContext("reading a split grant"));
  rpc::SplitGrant grant;
  if (!grant.ParseFromString(bytes) || grant.seq() != seq_) return DataLoss("malformed split grant in " + path);
  open_ = false;
  if (!grant.granted()) return std::optional<rpc::SplitGrant>();
  return std::optional<rpc::SplitGrant>(std::move(grant));
}

namespace {
std::string ReadingPath(const std::string& work_dir) { return work_dir + "/reading-carried"; }
}  // namespace

Status NoteReadingCarried(Env* env, const std::string& work_dir, uint32_t task) {
  return WriteFileAtomically(env, ReadingPath(work_dir), std::to_string(task), Durability::kUnsynced);
}

Status ClearReadingCarried(Env* env, const std::string& work_dir) {
  const std::string path = ReadingPath(work_dir);
  return env->FileExists(path) ? env->DeleteFile(path) : Status::OK();
}

std::optional<uint32_t> ReadingCarried(Env* env, const std::string& work_dir) {
  std::string text;
  if (!ReadFileToString(env, ReadingPath(work_dir), &text).ok() || text.empty() || text.size() > 10 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const uint64_t task = std::stoull(text);
  if (task > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(task);
}

bool HasClaim(Env* env, const std::string& work_dir, uint32_t seq) { return env->FileExists(ClaimPath(work_dir, seq)); }

Status WriteGrant(Env* env, const std::string& work_dir, const rpc::SplitGrant& grant) {
  return WriteFileAtomically(env, GrantPath(work_dir, grant.seq()), grant.SerializeAsString(), Durability::kUnsynced);
}

}  // namespace aviary::worker
