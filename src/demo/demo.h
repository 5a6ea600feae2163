// `aviary demo`: from nothing to a word count of the King James Bible on a local sharded cluster.
#ifndef AVIARY_DEMO_DEMO_H_
#define AVIARY_DEMO_DEMO_H_

#include <string>

#include "common/status.h"

namespace aviary::demo {

struct DemoOptions {
  std::string dir;  // the cluster's directory; empty: a new temporary one
  int shards = 3;
  std::string log_level = "info";  // handed on to the cluster's daemons
  std::string secret_file;         // likewise
};

// Brings up the cluster, loads the Bible sharded by hashed _id, runs the built-in wordcount
// through the coordinator, prints the top words, the locality figures and the timings on stdout,
// and stops the cluster (also on failure or Ctrl-C). When it fails after the cluster's directory
// was opened, `*cluster_dir` names that directory (its logs are in DIR/logs).
Status RunDemo(const DemoOptions& options, std::string* cluster_dir);

}  // namespace aviary::demo

#endif  // AVIARY_DEMO_DEMO_H_
