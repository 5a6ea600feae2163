#include "coordinator/plugin_store.h"

#include <openssl/evp.h>

namespace aviary::coordinator {

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

PluginStore::PluginStore(Env* env, std::string spool_dir, MetadataStore* metadata)
    : env_(env), spool_dir_(std::move(spool_dir)), metadata_(metadata) {}

bool PluginStore::IsSha256(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status PluginStore::Put(const std::string& sha256, const std::string& library) {
  if (!IsSha256(sha256)) return InvalidArgument("malformed plugin hash");
  if (library.empty()) return InvalidArgument("the submission carries no plugin library");
  if (Sha256Hex(library) != sha256) return InvalidArgument("the plugin library does not match its SHA-256");
  std::lock_guard<std::mutex> lock(mu_);
  last_put_us_[sha256] = env_->NowMicros();
  if (!env_->FileExists(PathFor(sha256))) {
    RETURN_IF_ERROR(env_->CreateDirs(spool_dir_));
    RETURN_IF_ERROR(WriteFileAtomically(env_, PathFor(sha256), library));
  }
  if (metadata_ != nullptr) RETURN_IF_ERROR(metadata_->SavePlugin(sha256, library));
  return Status::OK();
}

StatusOr<std::string> PluginStore::Get(const std::string& sha256) {
  // The hash is checked before it becomes part of a path.
  if (!IsSha256(sha256)) return InvalidArgument("malformed plugin hash");
  std::lock_guard<std::mutex> lock(mu_);
  std::string library;
  if (ReadFileToString(env_, PathFor(sha256), &library).ok() && Sha256Hex(library) == sha256) return library;
  if (metadata_ == nullptr) return NotFound("no plugin with hash " + sha256);
  ASSIGN_OR_RETURN(library, metadata_->LoadPlugin(sha256));
  if (Sha256Hex(library) != sha256) return DataLoss("stored plugin " + sha256 + " is corrupt");
  (void)env_->CreateDirs(spool_dir_);
  (void)WriteFileAtomically(env_, PathFor(sha256), library);
  return library;
}

Status PluginStore::Remove(const std::string& sha256) {
  if (!IsSha256(sha256)) return InvalidArgument("malformed plugin hash");
  constexpr int64_t kRecentPutUs = 60'000'000;
  std::lock_guard<std::mutex> lock(mu_);
  auto put = last_put_us_.find(sha256);
  if (put != last_put_us_.end() && env_->NowMicros() - put->second < kRecentPutUs) return Status::OK();
  if (put != last_put_us_.end()) last_put_us_.erase(put);
  if (env_->FileExists(PathFor(sha256))) RETURN_IF_ERROR(env_->DeleteFile(PathFor(sha256)));
  if (metadata_ != nullptr) RETURN_IF_ERROR(metadata_->DeletePlugin(sha256));
  return Status::OK();
}

}  // namespace aviary::coordinator
