// libmongoc as packaged by Debian initialises itself from a library constructor, before main().
// There it makes /dev/shm/mongoc-PID (O_EXCL) for performance counters nobody reads. A process
// that is SIGKILLed (workers and task processes often are) leaves its file behind, and the next
// process given that PID fails to make it: the driver then prints "Falling back to malloc for
// counters." on stderr, before any handler of ours exists.
//
// An executable's .preinit_array runs before every shared library's constructor, so from there
// the driver's lines are caught (not printed) until InitDriver routes them to the debug log.
// Setting MONGOC_DISABLE_SHM here would not help: libc's own constructor, which runs after this,
// resets the environment to the one the kernel passed. The counters file itself is removed at
// process start instead (ForgetDriverCountersFile).
#include "storage/mongo/driver_preinit.h"

#include <cstring>

// Defined (true) in a binary that loads the driver on its first call (mongoc_on_first_use.cc):
// there no driver constructor runs before main(), and calling the driver here would load it.
extern "C" [[gnu::weak]] const bool aviary_mongoc_loaded_on_first_use;

namespace aviary::mongo::preinit {
namespace {

bool LoadedOnFirstUse() { return &aviary_mongoc_loaded_on_first_use != nullptr; }

constexpr size_t kKeptLines = 4;
constexpr char kCountersFallback[] = "Falling back to malloc for counters";

EarlyLine early_lines[kKeptLines];
size_t early_line_count = 0;
size_t early_lines_dropped = 0;
bool shm_disabled_at_start = false;
bool counters_fell_back = false;

void CopyCut(char* to, size_t capacity, const char* from) {
  const size_t n = from == nullptr ? 0 : strnlen(from, capacity - 1);
  if (n > 0) memcpy(to, from, n);
  to[n] = '\0';
}

// The handler from before libc is initialised until InitDriver replaces it: plain memory
// operations only, and no locking (the process has one thread until then).
void KeepEarlyLine(mongoc_log_level_t level, const char* domain, const char* message, void*) {
  if (message != nullptr && strstr(message, kCountersFallback) != nullptr) counters_fell_back = true;
  if (early_line_count == kKeptLines) {
    ++early_lines_dropped;
    return;
  }
  EarlyLine& line = early_lines[early_line_count++];
  line.level = level;
  CopyCut(line.domain, sizeof line.domain, domain);
  CopyCut(line.message, sizeof line.message, message);
}

void CatchDriverLinesBeforeMain(int, char**, char** env) {
  if (LoadedOnFirstUse()) return;
  constexpr char kDisableShm[] = "MONGOC_DISABLE_SHM=";
  for (char** entry = env; entry != nullptr && *entry != nullptr; ++entry) {
    if (strncmp(*entry, kDisableShm, sizeof kDisableShm - 1) == 0) shm_disabled_at_start = true;
  }
  mongoc_log_set_handler(KeepEarlyLine, nullptr);
}

[[gnu::used, gnu::section(".preinit_array")]] void (*const kCatchDriverLines)(int, char**, char**) =
    &CatchDriverLinesBeforeMain;

}  // namespace

EarlyDriverState EarlyState() {
  return EarlyDriverState{
      .made_counters_file = !LoadedOnFirstUse() && !shm_disabled_at_start && !counters_fell_back,
      .lines = early_lines,
      .line_count = early_line_count,
      .lines_dropped = early_lines_dropped,
  };
}

}  // namespace aviary::mongo::preinit
