#include "coordinator/status_report.h"

#include <map>

#include "coordinator/job_counters.h"
#include "storage/registry.h"

namespace aviary::coordinator {
namespace {

uint32_t CountRunning(const std::vector<Task>& tasks) {
  uint32_t n = 0;
  for (const Task& t : tasks) n += t.state == rpc::RUNNING ? 1 : 0;
  return n;
}

void FillJobFields(const Job& job, rpc::JobStatus* out) {
  out->set_job_id(job.id);
  *out->mutable_spec() = job.spec;
  // Status is shown to anyone who can ask: never the passwords inside MongoDB URIs.
  out->mutable_spec()->set_input_uri(FormatRegistry::Default().RedactUri(job.spec.input_uri()));
  out->mutable_spec()->set_output_uri(FormatRegistry::Default().RedactUri(job.spec.output_uri()));
  out->set_state(PublicState(job.phase));
  out->set_error(job.error);
  out->set_submit_unix(job.submit_unix);
  out->set_end_unix(job.end_unix);
  out->set_maps_done(job.maps_done);
  out->set_maps_total(static_cast<uint32_t>(job.maps.size()));
  out->set_reduces_done(job.reduces_done);
  out->set_reduces_total(static_cast<uint32_t>(job.reduces.size()));
  out->set_maps_running(CountRunning(job.maps));
  out->set_reduces_running(CountRunning(job.reduces));
  out->set_output_location(job.output ? job.output->Describe() : "");
}

// Adds a winning map attempt's reading of its shard to that shard's report.
void AddToShardReport(const Task& map, const rpc::TaskResult& r, std::map<std::string, rpc::ShardReport>& shards) {
  const std::string& shard = map.split.location();
  if (shard.empty()) return;
  rpc::ShardReport& report = shards[shard];
  if (report.shard().empty()) {
    report.set_shard(shard);
    report.set_all_local(true);
  }
  report.set_documents_read(report.documents_read() + r.records_in());
  report.set_orphans_skipped(report.orphans_skipped() + r.orphans_skipped());
  report.set_bytes(report.bytes() + r.bytes_in());
  report.set_map_tasks(report.map_tasks() + 1);
  report.add_workers(map.Winner().worker_id);
  report.set_all_local(report.all_local() && r.read_locally());
}

// Adds the task's winning attempt to the job's totals.
void AddWinner(const Task& task, rpc::JobStatus* out, std::map<std::string, int64_t>& counters,
               std::map<std::string, rpc::ShardReport>& shards) {
  const rpc::TaskResult& r = task.Winner().result;
  for (const rpc::Counter& c : r.counters()) counters[c.name()] += c.value();
  if (task.kind == rpc::MAP) {
    out->set_input_records(out->input_records() + r.records_in());
    out->set_input_bytes(out->input_bytes() + r.bytes_in());
    AddToShardReport(task, r, shards);
  } else {
    out->set_output_records(out->output_records() + r.records_out());
  }
}

void FillTask(const Task& task, rpc::TaskStatus* ts) {
  ts->set_kind(task.kind);
  ts->set_task(task.index);
  ts->set_state(task.state);
  if (task.kind == rpc::MAP) ts->set_input(task.split.description());
  for (const Attempt& a : task.attempts) {
    rpc::AttemptStatus* as = ts->add_attempts();
    FillAttemptFields(a, as);
    as->set_records_in(a.result.records_in());
    as->set_records_out(a.result.records_out());
    as->set_bytes_in(a.result.bytes_in());
    as->set_read_locally(a.result.read_locally());
    as->set_orphans_skipped(a.result.orphans_skipped());
    as->set_shard(task.split.location());
    *as->mutable_counters() = AttemptCounters(a);
  }
}

}  // namespace

void FillStatus(const Job& job, bool with_tasks, rpc::JobStatus* out) {
  FillJobFields(job, out);
  std::map<std::string, int64_t> counters;
  std::map<std::string, rpc::ShardReport> shards;
  for (const auto* tasks : {&job.maps, &job.reduces}) {
    for (const Task& task : *tasks) {
      if (task.winner >= 0) AddWinner(task, out, counters, shards);
      if (with_tasks) FillTask(task, out->add_tasks());
    }
  }
  for (const auto& [name, value] : counters) {
    rpc::Counter* c = out->add_counters();
    c->set_name(name);
    c->set_value(value);
  }
  for (auto& [name, report] : shards) *out->add_shards() = report;
  *out->mutable_totals() = JobTotals(job);
  *out->mutable_progress() = JobProgress(job);
  *out->mutable_counts() = MongoCounts(job, out->totals());
}

void FillAttemptFields(const Attempt& a, rpc::AttemptStatus* out) {
  out->set_attempt(a.number);
  out->set_worker_id(a.worker_id);
  out->set_worker_address(a.worker_address);
  out->set_state(AttemptStateName(a.state));
  out->set_error(a.error);
  out->set_start_unix(a.start_unix);
  out->set_end_unix(a.end_unix);
  out->set_carried(a.carried);
  out->set_carried_by_task(a.carried_by_task);
  out->set_carried_by_attempt(a.carried_by_attempt);
}

void FillWorkerInfo(const Worker& w, rpc::WorkerInfo* out) {
  out->set_worker_id(w.id);
  out->set_address(w.info.address());
  out->set_slots(w.info.slots());
  out->set_shard(w.info.location());
  out->set_alive(w.alive);
  out->set_last_heartbeat_unix(w.last_heartbeat_unix);
  out->set_pid(w.info.pid());
}

}  // namespace aviary::coordinator
