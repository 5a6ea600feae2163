// Directories only this user can reach: the coordinator's spools (inline results, plugin
// libraries) live in one, so that another local user cannot plant a symlink at a fixed /tmp
// path and have the daemon write through it, nor read or swap what it stores there.
#ifndef AVIARY_COMMON_PRIVATE_DIR_H_
#define AVIARY_COMMON_PRIVATE_DIR_H_

#include <string>
#include <string_view>

#include "common/status.h"

namespace aviary {

// Creates `path` with mode 0700 if missing (its parent must exist), then checks what is there:
// a real directory (not a symlink), owned by the effective user, no group/other permissions.
// Anything else is refused with an error naming the path and the problem; nothing is changed.
Status EnsurePrivateDir(const std::string& path);

// A per-user base for daemon data: $XDG_RUNTIME_DIR/aviary when that is set, else
// /tmp/aviary-<uid>; each level is created and checked with EnsurePrivateDir.
StatusOr<std::string> PrivateBaseDir();

// `<PrivateBaseDir()>/<daemon>-<pid>`, created and checked.
StatusOr<std::string> DefaultDaemonDir(std::string_view daemon);

}  // namespace aviary

#endif  // AVIARY_COMMON_PRIVATE_DIR_H_
