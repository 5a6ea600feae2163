#include "http/coordinator_metrics.h"

#include <google/protobuf/descriptor.h>

#include <map>

#include "http/metrics_text.h"

namespace aviary::http {
namespace {

struct Totals {
  std::map<std::string, double> jobs;                                    // state -> count
  std::map<std::pair<std::string, std::string>, double> tasks;           // kind, state
  std::map<std::pair<std::string, std::string>, double> attempts;        // kind, state
  std::map<std::string, double> records_in, records_out, bytes_in, bytes_out;  // kind
  std::map<std::string, Histogram> durations;                            // kind
  std::map<std::string, double> busy;                                    // worker id
};

// What an attempt wrote: its map output (the shuffle's input), or a reduce's result documents.
uint64_t AttemptBytesOut(rpc::TaskKind kind, const rpc::AttemptStatus& a) {
  return kind == rpc::MAP ? a.counters().map_output_bytes() : a.counters().output_bytes();
}

void CountJob(const rpc::JobStatus& job, double now, Totals& t) {
  t.jobs[rpc::JobState_Name(job.state())] += 1;
  for (const rpc::TaskStatus& task : job.tasks()) {
    const std::string kind = task.kind() == rpc::MAP ? "map" : "reduce";
    t.tasks[{kind, rpc::TaskState_Name(task.state())}] += 1;
    for (const rpc::AttemptStatus& a : task.attempts()) {
      t.attempts[{kind, a.state()}] += 1;
      t.records_in[kind] += static_cast<double>(a.records_in());
      t.records_out[kind] += static_cast<double>(a.records_out());
      t.bytes_in[kind] += static_cast<double>(a.bytes_in());
      t.bytes_out[kind] += static_cast<double>(AttemptBytesOut(task.kind(), a));
      if (a.state() == "running") t.busy[a.worker_id()] += 1;
      if (a.end_unix() > 0 && a.start_unix() > 0) {
        t.durations.try_emplace(kind, AttemptDurationBounds()).first->second.Observe(a.end_unix() - a.start_unix());
      }
    }
  }
}

template <typename Map>
void ByKind(MetricsText& m, const std::string& name, const std::string& help, const Map& values) {
  m.Family(name, "counter", help);
  for (const char* kind : {"map", "reduce"}) {
    auto it = values.find(kind);
    m.Sample(name, {{"kind", kind}}, it == values.end() ? 0 : it->second);
  }
}

void Workers(MetricsText& m, const rpc::ClusterStatusResponse& cluster, const Totals& t, double now) {
  m.Family("aviary_workers", "gauge", "Workers known to the coordinator, by liveness.");
  double live = 0, dead = 0;
  for (const auto& w : cluster.workers()) (w.alive() ? live : dead) += 1;
  m.Sample("aviary_workers", {{"state", "live"}}, live);
  m.Sample("aviary_workers", {{"state", "dead"}}, dead);
  m.Family("aviary_worker_heartbeat_age_seconds", "gauge", "Seconds since the worker's last heartbeat.");
  for (const auto& w : cluster.workers()) {
    m.Sample("aviary_worker_heartbeat_age_seconds", {{"worker", w.worker_id()}, {"address", w.address()}},
             w.last_heartbeat_unix() > 0 ? now - w.last_heartbeat_unix() : 0);
  }
  m.Family("aviary_worker_slots", "gauge", "Task slots of live workers, busy (running an attempt) or free.");
  for (const auto& w : cluster.workers()) {
    if (!w.alive()) continue;
    auto it = t.busy.find(w.worker_id());
    const double busy = it == t.busy.end() ? 0 : it->second;
    m.Sample("aviary_worker_slots", {{"worker", w.worker_id()}, {"state", "busy"}}, busy);
    m.Sample("aviary_worker_slots", {{"worker", w.worker_id()}, {"state", "free"}}, std::max(0.0, w.slots() - busy));
  }
}

// The engine counters (rpc::TaskCounters) of every known job's winning attempts, summed; peak
// RSS, a maximum, is no counter and is left out.
void JobCounters(MetricsText& m, const std::vector<rpc::JobStatus>& jobs) {
  using google::protobuf::FieldDescriptor;
  const auto* descriptor = rpc::TaskCounters::descriptor();
  const auto* reflection = rpc::TaskCounters::GetReflection();
  m.Family("aviary_job_counter_total", "counter",
           "Engine counters of the known jobs' winning attempts, summed (docs/operations.md defines them).");
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* f = descriptor->field(i);
    if (f->number() == rpc::TaskCounters::kPeakRssBytesFieldNumber) continue;
    double sum = 0;
    for (const rpc::JobStatus& job : jobs) {
      sum += f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE ? reflection->GetDouble(job.totals(), f)
                                                              : static_cast<double>(reflection->GetUInt64(job.totals(), f));
    }
    m.Sample("aviary_job_counter_total", {{"counter", f->name()}}, sum);
  }
}

}  // namespace

std::string CoordinatorMetrics(const std::vector<rpc::JobStatus>& jobs, const rpc::ClusterStatusResponse& cluster,
                               const Leadership& leader, double now_unix) {
  Totals t;
  for (const rpc::JobStatus& job : jobs) CountJob(job, now_unix, t);
  MetricsText m;
  m.Family("aviary_jobs", "gauge", "Jobs known to the coordinator, by state.");
  for (int s = rpc::PENDING; s <= rpc::ABORTING; ++s) {
    const std::string name = rpc::JobState_Name(static_cast<rpc::JobState>(s));
    m.Sample("aviary_jobs", {{"state", name}}, t.jobs.count(name) ? t.jobs[name] : 0);
  }
  m.Family("aviary_tasks", "gauge", "Tasks of the known jobs, by kind and state.");
  for (const auto& [key, n] : t.tasks) m.Sample("aviary_tasks", {{"kind", key.first}, {"state", key.second}}, n);
  m.Family("aviary_attempts", "gauge", "Task attempts of the known jobs, by kind and outcome.");
  for (const auto& [key, n] : t.attempts) m.Sample("aviary_attempts", {{"kind", key.first}, {"state", key.second}}, n);
  ByKind(m, "aviary_records_read_total", "Records read by attempts (map: input; reduce: shuffled values).", t.records_in);
  ByKind(m, "aviary_records_written_total", "Records written by attempts (map: emitted; reduce: output).", t.records_out);
  ByKind(m, "aviary_bytes_read_total", "Bytes read by attempts (map: input; reduce: shuffle bytes fetched).", t.bytes_in);
  ByKind(m, "aviary_bytes_written_total", "Bytes written by attempts (map: map output; reduce: result documents).", t.bytes_out);
  JobCounters(m, jobs);
  m.Family("aviary_attempt_duration_seconds", "histogram", "Wall time of ended task attempts.");
  for (const char* kind : {"map", "reduce"}) {
    auto it = t.durations.find(kind);
    m.HistogramSamples("aviary_attempt_duration_seconds", {{"kind", kind}},
                       it == t.durations.end() ? Histogram(AttemptDurationBounds()) : it->second);
  }
  Workers(m, cluster, t, now_unix);
  m.Family("aviary_rpc_errors_total", "counter", "Coordinator RPCs answered with an error, by method and code.");
  for (const auto& [key, n] : leader.rpc_errors) {
    const size_t slash = key.find('/');
    m.Sample("aviary_rpc_errors_total", {{"method", key.substr(0, slash)}, {"code", key.substr(slash + 1)}},
             static_cast<double>(n));
  }
  m.Single("aviary_coordinator_lease_term", "gauge", "The lease term this coordinator holds (0: none).",
           static_cast<double>(leader.term));
  m.Single("aviary_coordinator_leader", "gauge", "1 if this coordinator is the active one.", leader.leads ? 1 : 0);
  return m.text();
}

}  // namespace aviary::http
