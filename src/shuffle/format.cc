#include "shuffle/format.h"

#include "shuffle/hash.h"  // brings in xxhash

namespace aviary::shuffle {

uint32_t Checksum(std::string_view data) { return XXH32(data.data(), data.size(), 0); }

}  // namespace aviary::shuffle
