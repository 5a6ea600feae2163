// What libmongoc did in this process before main() ran (see driver_preinit.cc). Private to
// storage/mongo: mongo_client.cc reads it, which also makes every executable that uses the driver
// link driver_preinit.o and so its .preinit_array entry.
#ifndef AVIARY_STORAGE_MONGO_DRIVER_PREINIT_H_
#define AVIARY_STORAGE_MONGO_DRIVER_PREINIT_H_

#include <mongoc/mongoc.h>

#include <cstddef>

namespace aviary::mongo::preinit {

// A driver log line kept from before main(), cut to fit.
struct EarlyLine {
  mongoc_log_level_t level;
  char domain[32];
  char message[224];
};

struct EarlyDriverState {
  // MONGOC_DISABLE_SHM was absent from the environment the process started with, and the driver
  // did not report failing to make its counters file: so /dev/shm/mongoc-PID is this process's.
  bool made_counters_file;
  // The first lines the driver logged before main() (its library constructor runs first).
  const EarlyLine* lines;
  size_t line_count;
  size_t lines_dropped;  // beyond the kept ones
};

// Call only after main() has started, from one thread.
EarlyDriverState EarlyState();

}  // namespace aviary::mongo::preinit

#endif  // AVIARY_STORAGE_MONGO_DRIVER_PREINIT_H_
