// A coordinator without a metadata store forgets its jobs when it dies, and what they had begun
// to write would stay forever: a files output's `_temporary/JOB`, a MongoDB output's temporary
// collections, inline spools. So it notes each job it has not ended in its private data dir, and
// the next coordinator to start there (or, for a default per-process dir, any coordinator of the
// same user once the dead one's pid is gone) aborts those outputs and removes the rest
// (docs/reliability.md, "Leftovers"). A coordinator with a store never notes: its jobs are
// resumed by whoever takes over, not abandoned.
#ifndef AVIARY_COORDINATOR_OPEN_JOBS_H_
#define AVIARY_COORDINATOR_OPEN_JOBS_H_

#include <string>

#include "common/env.h"
#include "common/status.h"
#include "rpc/aviary.pb.h"

namespace aviary::coordinator {

class OpenJobJournal {
 public:
  // `dir` (private, existing) holds one file per open job: JOB_ID.spec, the job's spec.
  OpenJobJournal(Env* env, std::string dir) : env_(env), dir_(std::move(dir)) {}

  // Called before the job's output is set up, and again once it is planned.
  Status Note(const std::string& job_id, const rpc::JobSpec& spec);
  void Forget(const std::string& job_id);
  // Aborts the output of every job noted here, whose coordinator is gone, and forgets it.
  // Returns how many there were.
  size_t AbortAbandoned();

 private:
  std::string PathOf(const std::string& job_id) const { return dir_ + "/" + job_id + ".spec"; }

  Env* const env_;
  const std::string dir_;
};

// The journal's place in a coordinator data dir.
std::string OpenJobsDir(const std::string& data_dir);

// A fresh coordinator without a store knows no job: what an earlier life left in `data_dir`
// (inline results, open jobs' outputs) is abandoned. Aborts and removes it.
void CleanUpEarlierLife(Env* env, const std::string& data_dir, const std::string& inline_dir);

// Default data dirs (`coordinator-PID` beside `own_dir`) of coordinators that are no longer
// running: their open jobs are aborted and the directories removed.
void CleanUpDeadCoordinators(Env* env, const std::string& own_dir);

}  // namespace aviary::coordinator

#endif  // AVIARY_COORDINATOR_OPEN_JOBS_H_
