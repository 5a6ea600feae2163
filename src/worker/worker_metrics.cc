#include "worker/worker_metrics.h"

namespace aviary::worker {

void WorkerMetrics::AttemptEnded(const rpc::TaskResult& r, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  PerKind& k = kinds_[r.kind() == rpc::REDUCE ? "reduce" : "map"];
  ++k.outcomes[r.ok() ? "succeeded" : "failed"];
  k.records_in += r.records_in();
  k.records_out += r.records_out();
  k.bytes_in += r.bytes_in();
  k.bytes_out += r.bytes_out();
  k.spills += r.spills();
  k.durations.Observe(seconds);
}

void WorkerMetrics::SetRunning(uint32_t running) {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = running;
}

void WorkerMetrics::Heartbeat(bool ok, int64_t now_us, uint64_t term) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!ok) {
    ++heartbeat_errors_;
    return;
  }
  last_heartbeat_ok_us_ = now_us;
  term_ = term;
}

std::string WorkerMetrics::Render(int64_t now_us) const {
  std::lock_guard<std::mutex> lock(mu_);
  http::MetricsText m;
  const PerKind none;
  auto per_kind = [&](const std::string& name, const char* type, const std::string& help, auto value) {
    m.Family(name, type, help);
    for (const char* kind : {"map", "reduce"}) {
      auto it = kinds_.find(kind);
      m.Sample(name, {{"kind", kind}}, static_cast<double>(value(it == kinds_.end() ? none : it->second)));
    }
  };
  m.Family("aviary_worker_attempts_total", "counter", "Attempts this worker ran to their end, by kind and outcome.");
  for (const char* kind : {"map", "reduce"}) {
    for (const char* outcome : {"succeeded", "failed"}) {
      auto it = kinds_.find(kind);
      const auto& o = it == kinds_.end() ? none.outcomes : it->second.outcomes;
      auto n = o.find(outcome);
      m.Sample("aviary_worker_attempts_total", {{"kind", kind}, {"outcome", outcome}},
               n == o.end() ? 0 : static_cast<double>(n->second));
    }
  }
  per_kind("aviary_worker_records_read_total", "counter", "Records read by ended attempts.", [](const PerKind& k) { return k.records_in; });
  per_kind("aviary_worker_records_written_total", "counter", "Records written by ended attempts.", [](const PerKind& k) { return k.records_out; });
  per_kind("aviary_worker_bytes_read_total", "counter", "Bytes read by ended attempts (reduce: shuffle bytes fetched).", [](const PerKind& k) { return k.bytes_in; });
  per_kind("aviary_worker_bytes_written_total", "counter", "Bytes written by ended attempts.", [](const PerKind& k) { return k.bytes_out; });
  per_kind("aviary_worker_spills_total", "counter", "Map-side spills of ended attempts.", [](const PerKind& k) { return k.spills; });
  m.Family("aviary_worker_attempt_duration_seconds", "histogram", "Wall time of attempts this worker ran.");
  for (const char* kind : {"map", "reduce"}) {
    auto it = kinds_.find(kind);
    m.HistogramSamples("aviary_worker_attempt_duration_seconds", {{"kind", kind}},
                       it == kinds_.end() ? none.durations : it->second.durations);
  }
  m.Family("aviary_worker_slots", "gauge", "Task slots, busy or free.");
  m.Sample("aviary_worker_slots", {{"state", "busy"}}, running_);
  m.Sample("aviary_worker_slots", {{"state", "free"}}, running_ >= slots_ ? 0 : slots_ - running_);
  m.Single("aviary_worker_heartbeat_errors_total", "counter", "Heartbeats to the coordinator that failed.",
           static_cast<double>(heartbeat_errors_));
  m.Single("aviary_worker_heartbeat_age_seconds", "gauge", "Seconds since the coordinator last answered a heartbeat.",
           last_heartbeat_ok_us_ ? static_cast<double>(now_us - last_heartbeat_ok_us_) / 1e6 : 0);
  m.Single("aviary_worker_coordinator_term", "gauge", "The highest coordinator lease term this worker has seen.",
           static_cast<double>(term_));
  return m.text();
}

}  // namespace aviary::worker
