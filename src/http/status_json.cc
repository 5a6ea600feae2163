#include "http/status_json.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "http/proto_json.h"

namespace aviary::http {
namespace {

// The job without its tasks, plus what every page wants computed once here.
nlohmann::json Summary(const rpc::JobStatus& job, double now_unix) {
  rpc::JobStatus head = job;
  head.clear_tasks();
  nlohmann::json out = ProtoToJson(head);
  out["ended"] = rpc::IsEnded(job.state());
  const double end = job.end_unix() > 0 ? job.end_unix() : now_unix;
  out["elapsed_s"] = job.submit_unix() > 0 ? std::max(0.0, end - job.submit_unix()) : 0.0;
  nlohmann::json counters = nlohmann::json::object();
  for (const rpc::Counter& c : job.counters()) counters[c.name()] = c.value();
  out["counter_map"] = std::move(counters);
  return out;
}

struct Span {
  double start = std::numeric_limits<double>::max();
  double end = 0;
  bool open = false;  // an attempt of it still runs
};

void Widen(Span& span, const rpc::AttemptStatus& a) {
  if (a.start_unix() > 0) span.start = std::min(span.start, a.start_unix());
  if (a.end_unix() > 0) span.end = std::max(span.end, a.end_unix());
  if (a.end_unix() <= 0) span.open = true;
}

nlohmann::json SpanJson(const char* name, const Span& span) {
  nlohmann::json out = {{"name", name}};
  out["start_unix"] = span.start == std::numeric_limits<double>::max() ? 0.0 : span.start;
  out["end_unix"] = span.open ? 0.0 : span.end;
  return out;
}

// Map and reduce run from their first attempt's start to their last attempt's end; the commit
// from the last reduce's end to the job's end.
nlohmann::json Phases(const rpc::JobStatus& job) {
  Span map, reduce;
  for (const rpc::TaskStatus& t : job.tasks()) {
    for (const rpc::AttemptStatus& a : t.attempts()) Widen(t.kind() == rpc::MAP ? map : reduce, a);
  }
  nlohmann::json out = nlohmann::json::array({SpanJson("map", map), SpanJson("reduce", reduce)});
  if (job.reduces_total() > 0 && job.reduces_done() == job.reduces_total() && !reduce.open) {
    Span commit;
    commit.start = reduce.end;
    commit.end = job.end_unix();
    commit.open = job.end_unix() <= 0;
    out.push_back(SpanJson("commit", commit));
  }
  return out;
}

// Which worker read which part of the input, for every map attempt that read one.
nlohmann::json Locality(const rpc::JobStatus& job) {
  nlohmann::json out = nlohmann::json::array();
  for (const rpc::TaskStatus& t : job.tasks()) {
    if (t.kind() != rpc::MAP) continue;
    for (const rpc::AttemptStatus& a : t.attempts()) {
      out.push_back({{"task", t.task()}, {"attempt", a.attempt()}, {"input", t.input()}, {"shard", a.shard()},
                     {"worker_id", a.worker_id()}, {"worker_address", a.worker_address()},
                     {"read_locally", a.read_locally()}, {"records_in", a.records_in()},
                     {"orphans_skipped", a.orphans_skipped()}, {"state", a.state()}});
    }
  }
  return out;
}

}  // namespace

nlohmann::json JobListJson(const std::vector<rpc::JobStatus>& jobs, const std::string& filter, double now_unix) {
  nlohmann::json out = nlohmann::json::array();
  for (auto it = jobs.rbegin(); it != jobs.rend(); ++it) {
    if (rpc::MatchesStateFilter(it->state(), filter)) out.push_back(Summary(*it, now_unix));
  }
  return out;
}

nlohmann::json JobDetailJson(const rpc::JobStatus& job, double now_unix) {
  nlohmann::json out = Summary(job, now_unix);
  nlohmann::json tasks = nlohmann::json::array();
  for (const rpc::TaskStatus& t : job.tasks()) tasks.push_back(ProtoToJson(t));
  out["tasks"] = std::move(tasks);
  out["phases"] = Phases(job);
  out["locality"] = Locality(job);
  out["now_unix"] = now_unix;
  return out;
}

nlohmann::json WorkersJson(const rpc::ClusterStatusResponse& cluster, const std::vector<rpc::JobStatus>& jobs,
                           double now_unix) {
  nlohmann::json out = nlohmann::json::array();
  for (const rpc::WorkerInfo& w : cluster.workers()) {
    nlohmann::json worker = ProtoToJson(w);
    nlohmann::json running = nlohmann::json::array();
    for (const rpc::JobStatus& job : jobs) {
      for (const rpc::TaskStatus& t : job.tasks()) {
        for (const rpc::AttemptStatus& a : t.attempts()) {
          if (a.worker_id() != w.worker_id() || a.state() != "running") continue;
          running.push_back({{"job_id", job.job_id()}, {"kind", rpc::TaskKind_Name(t.kind())}, {"task", t.task()},
                             {"attempt", a.attempt()}, {"start_unix", a.start_unix()}});
        }
      }
    }
    worker["heartbeat_age_s"] = w.last_heartbeat_unix() > 0 ? std::max(0.0, now_unix - w.last_heartbeat_unix()) : 0.0;
    worker["slots_busy"] = running.size();
    worker["running_attempts"] = std::move(running);
    out.push_back(std::move(worker));
  }
  return out;
}

std::string Dump(const nlohmann::json& doc) {
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace aviary::http
