// SHA-256 of a file with OpenSSL's EVP interface.
#include <openssl/evp.h>

#include <memory>

#include "plugin/plugin.h"

namespace aviary {

StatusOr<std::string> Sha256File(const std::string& path, Env* env) {
  ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> file, env->NewSequentialFile(path));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return Internal("SHA-256 unavailable");
  std::string scratch(1 << 16, '\0');
  while (true) {
    std::string_view chunk;
    RETURN_IF_ERROR(file->Read(scratch.size(), scratch.data(), &chunk));
    if (chunk.empty()) break;
    if (EVP_DigestUpdate(ctx.get(), chunk.data(), chunk.size()) != 1) return Internal("SHA-256 update failed");
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &size) != 1) return Internal("SHA-256 final failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * size);
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

}  // namespace aviary
