// What `submit --wait` and `run` show while a job runs: on a terminal one line redrawn in place
// (a bar, map and reduce tasks done / running / total, records per second, the phase's ETA, the
// commit's elapsed time); otherwise a plain line at each change of phase or task counts, and at
// most every few seconds for record counts alone, so logs stay readable.
//
// Thread safety: none; one printer per waiting client.
#ifndef AVIARY_CLIENT_PROGRESS_H_
#define AVIARY_CLIENT_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "rpc/aviary.pb.h"

namespace aviary::client {

// What the line shows beyond the status itself, measured across polls by ProgressPrinter.
struct ProgressRates {
  double records_per_s = -1;  // < 0: not known yet
  double eta_s = -1;          // of the current phase; < 0: not known yet
  double phase_s = 0;         // time spent in the current phase so far
};

// One line for `job`: "job-... mapping [#####-----] map 3/6 (2 running) reduce 0/2 | 1.2M
// records, 340k/s | ETA 4 s". `bar_width` 0 leaves the bar out.
std::string ProgressLine(const rpc::JobStatus& job, const ProgressRates& rates, int bar_width);

class ProgressPrinter {
 public:
  ProgressPrinter(FILE* out, bool tty) : out_(out), tty_(tty) {}
  // Shows `job` as polled at `now_s` (any monotonic seconds).
  void Show(const rpc::JobStatus& job, double now_s);
  // Ends the redrawn line, if any.
  void Finish();

 private:
  ProgressRates Measure(const rpc::JobStatus& job, double now_s);

  FILE* out_;
  const bool tty_;
  rpc::JobState phase_ = rpc::JOB_STATE_UNSPECIFIED;
  double phase_start_s_ = 0;
  uint32_t phase_done_at_start_ = 0;
  uint64_t last_records_ = 0;
  double last_records_s_ = -1;
  double rate_ = -1;
  std::string last_key_;       // what a plain line changes with
  double last_plain_s_ = -1e9;
  uint64_t last_plain_records_ = 0;
  std::string last_drawn_;  // on a terminal: the line shown now
};

}  // namespace aviary::client

#endif  // AVIARY_CLIENT_PROGRESS_H_
