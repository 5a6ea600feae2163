// The coordinator at scale, simulated in one process: N workers heartbeat a real JobTracker (the
// coordinator's whole state machine: planning, scheduling, reports, failure detection, commit)
// through its public API, on a fake clock, with no network and no task processes. Each simulated
// heartbeat round, every worker reports the attempts it was given in the round before as
// finished and asks for as many new ones as it has slots.
//
// Measured on the real clock: the coordinator's CPU and wall time per heartbeat (p50, p99, max),
// split by phase (map, reduce), the rounds and total time the job takes, and the process's peak
// RSS. --store picks what sits behind the tracker: none (a non-durable coordinator), memory (the
// in-memory metadata store: every change batch copied), or serialize (each saved record also
// encoded to its wire form, the bytes a MongoDB store would send, as a lower bound of that cost).
//
// usage: coordinator_bench [--workers 1000] [--slots 2] [--maps 100000] [--reduces 100]
//                          [--store none|memory|serialize] [--json]
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/fake_clock_env.h"
#include "coordinator/forwarding_store.h"
#include "coordinator/job_tracker.h"
#include "coordinator/metadata_store.h"

namespace aviary::coordinator {
namespace {

struct Options {
  uint32_t workers = 1000;
  uint32_t slots = 2;
  uint32_t maps = 100000;
  uint32_t reduces = 100;
  std::string store = "none";
  bool json = false;
};

// Wraps the in-memory store and encodes every record as it is saved, as a MongoDB store must.
class SerializingStore : public ForwardingStore {
 public:
  Status SaveJob(const rpc::JobRecord& job) override {
    bytes_ += job.ByteSizeLong();
    std::string wire;
    job.SerializeToString(&wire);
    return ForwardingStore::SaveJob(job);
  }
  Status SaveWorker(const rpc::WorkerRecord& worker) override {
    bytes_ += worker.ByteSizeLong();
    std::string wire;
    worker.SerializeToString(&wire);
    return ForwardingStore::SaveWorker(worker);
  }
  uint64_t bytes() const { return bytes_; }

 private:
  uint64_t bytes_ = 0;
};

int64_t ThreadCpuNanos() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

struct Samples {
  std::vector<double> wall_us, cpu_us;
  void Add(double wall, double cpu) {
    wall_us.push_back(wall);
    cpu_us.push_back(cpu);
  }
  static double Quantile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
  }
  static double Sum(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s;
  }
};

// One simulated worker: what it was handed in the last round, reported as finished in the next.
struct SimWorker {
  std::string id;
  std::string address;
  std::vector<rpc::TaskSpec> running;
};

rpc::TaskResult Finished(const rpc::TaskSpec& spec, const SimWorker& worker, uint32_t reduces) {
  rpc::TaskResult r;
  r.set_job_id(spec.job_id());
  r.set_kind(spec.kind());
  r.set_task(spec.task());
  r.set_attempt(spec.attempt());
  r.set_ok(true);
  r.set_records_in(1000);
  r.set_records_out(1000);
  if (spec.kind() == rpc::MAP) {
    r.set_output_path("/sim/" + worker.id + "/" + spec.job_id() + "/map-" + std::to_string(spec.task()));
    for (uint32_t p = 0; p < reduces; ++p) r.add_partition_bytes(4096);
    return r;
  }
  // The committer promotes real files, so a reduce leaves one behind like a worker would.
  auto output = OutputFormat::ForJob(spec.job(), Env::Default());
  if (output.ok()) {
    auto writer = (*output)->OpenTaskWriter(spec.job_id(), spec.task(), spec.attempt());
    if (writer.ok()) {
      int64_t one = 1;
      (void)(*writer)->Write(ValueView::String("k"), ValueView::Int64(one));
      (void)(*writer)->Close();
      r.set_output_location((*writer)->location());
    }
  }
  return r;
}

int Run(const Options& o) {
  const auto dir = std::filesystem::temp_directory_path() / ("coordinator_bench_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  FakeClockEnv env;
  TrackerOptions options;
  options.worker_timeout_us = 60'000'000;
  options.attempt_timeout_us = 600'000'000;
  options.inline_dir = (dir / "inline").string();
  options.plugin_dir = (dir / "plugins").string();
  std::unique_ptr<MetadataStore> store;
  SerializingStore* serializing = nullptr;
  if (o.store == "memory") store = MetadataStore::NewInMemory();
  if (o.store == "serialize") {
    auto s = std::make_unique<SerializingStore>();
    serializing = s.get();
    store = std::move(s);
  }
  JobTracker tracker(&env, options, store.get(), 1);

  std::vector<SimWorker> workers(o.workers);
  const auto register_start = std::chrono::steady_clock::now();
  for (uint32_t i = 0; i < o.workers; ++i) {
    rpc::RegisterWorkerRequest request;
    workers[i].address = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ":7000";
    request.set_address(workers[i].address);
    request.set_slots(o.slots);
    workers[i].id = tracker.RegisterWorker(request).worker_id();
  }
  const double register_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - register_start).count();

  rpc::JobSpec spec;
  spec.set_plugin("wordcount");
  spec.set_input_uri("seq:" + std::to_string(uint64_t{o.maps} * 10) + "/" + std::to_string(o.maps));
  spec.set_output_uri("files:" + (dir / "out").string());
  spec.set_map_tasks(o.maps);
  spec.set_reduce_tasks(o.reduces);
  const auto submit_start = std::chrono::steady_clock::now();
  StatusOr<std::string> job = tracker.Submit(spec);
  const double submit_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - submit_start).count();
  if (!job.ok()) {
    std::fprintf(stderr, "coordinator_bench: submit failed: %s\n", job.status().ToString().c_str());
    return 1;
  }

  Samples map_phase, reduce_phase, tick;
  uint64_t rounds = 0, assigned = 0;
  rpc::JobState state = rpc::MAPPING;
  const auto run_start = std::chrono::steady_clock::now();
  while (state != rpc::SUCCEEDED && state != rpc::FAILED && rounds < 100000) {
    ++rounds;
    Samples& phase = state == rpc::MAPPING ? map_phase : reduce_phase;
    for (SimWorker& w : workers) {
      rpc::HeartbeatRequest request;
      request.set_worker_id(w.id);
      request.set_free_slots(o.slots);
      request.set_term(1);
      for (const rpc::TaskSpec& t : w.running) *request.add_finished() = Finished(t, w, o.reduces);
      const auto wall_start = std::chrono::steady_clock::now();
      const int64_t cpu_start = ThreadCpuNanos();
      rpc::HeartbeatResponse response = tracker.Heartbeat(request);
      const double cpu_us = static_cast<double>(ThreadCpuNanos() - cpu_start) / 1e3;
      const double wall_us =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - wall_start).count();
      phase.Add(wall_us, cpu_us);
      w.running.assign(response.assignments().begin(), response.assignments().end());
      assigned += static_cast<uint64_t>(response.assignments_size());
    }
    env.Advance(100'000);  // one heartbeat interval
    const auto tick_start = std::chrono::steady_clock::now();
    const int64_t tick_cpu = ThreadCpuNanos();
    tracker.Tick();
    tick.Add(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - tick_start).count(),
             static_cast<double>(ThreadCpuNanos() - tick_cpu) / 1e3);
    state = tracker.GetJob(*job, false)->state();
  }
  const double run_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
  std::filesystem::remove_all(dir);

  auto line = [&](const char* name, const Samples& s) {
    std::printf("%-8s heartbeats %8zu  cpu/heartbeat p50 %9.1f us  p99 %9.1f us  max %10.1f us  "
                "wall p50 %9.1f us  p99 %9.1f us  total cpu %8.2f s\n",
                name, s.cpu_us.size(), Samples::Quantile(s.cpu_us, 0.5), Samples::Quantile(s.cpu_us, 0.99),
                Samples::Quantile(s.cpu_us, 1.0), Samples::Quantile(s.wall_us, 0.5),
                Samples::Quantile(s.wall_us, 0.99), Samples::Sum(s.cpu_us) / 1e6);
  };
  if (o.json) {
    auto q = [](const Samples& s, double x) { return Samples::Quantile(s.cpu_us, x); };
    std::printf("{\"workers\": %u, \"slots\": %u, \"maps\": %u, \"reduces\": %u, \"store\": \"%s\", "
                "\"state\": \"%s\", \"rounds\": %llu, \"assigned\": %llu, \"register_s\": %.3f, "
                "\"submit_s\": %.3f, \"run_s\": %.3f, \"peak_rss_mb\": %.1f, "
                "\"map_cpu_us_p50\": %.1f, \"map_cpu_us_p99\": %.1f, \"reduce_cpu_us_p50\": %.1f, "
                "\"reduce_cpu_us_p99\": %.1f, \"tick_cpu_us_p50\": %.1f, \"tick_cpu_us_p99\": %.1f, "
                "\"store_bytes\": %llu}\n",
                o.workers, o.slots, o.maps, o.reduces, o.store.c_str(), rpc::JobState_Name(state).c_str(),
                static_cast<unsigned long long>(rounds), static_cast<unsigned long long>(assigned), register_s,
                submit_s, run_s, PeakRssMb(), q(map_phase, 0.5), q(map_phase, 0.99), q(reduce_phase, 0.5),
                q(reduce_phase, 0.99), q(tick, 0.5), q(tick, 0.99),
                static_cast<unsigned long long>(serializing ? serializing->bytes() : 0));
  } else {
    std::printf("%u workers x %u slots, %u maps + %u reduces, store %s: %s after %llu rounds, %llu attempts, "
                "run %.2f s (register %.3f s, submit %.3f s), peak RSS %.0f MB%s\n",
                o.workers, o.slots, o.maps, o.reduces, o.store.c_str(), rpc::JobState_Name(state).c_str(),
                static_cast<unsigned long long>(rounds), static_cast<unsigned long long>(assigned), run_s,
                register_s, submit_s, PeakRssMb(),
                serializing ? (", " + std::to_string(serializing->bytes() >> 20) + " MiB encoded").c_str() : "");
    line("map", map_phase);
    line("reduce", reduce_phase);
    line("tick", tick);
  }
  return state == rpc::SUCCEEDED ? 0 : 1;
}

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    auto number = [&](uint32_t* out) {
      const char* v = next();
      if (v == nullptr) return false;
      *out = static_cast<uint32_t>(std::strtoul(v, nullptr, 10));
      return *out > 0;
    };
    if (a == "--workers" ? !number(&o->workers)
        : a == "--slots" ? !number(&o->slots)
        : a == "--maps"  ? !number(&o->maps)
        : a == "--reduces" ? !number(&o->reduces)
        : false) {
      std::fprintf(stderr, "coordinator_bench: %s needs a positive number\n", a.c_str());
      return false;
    }
    if (a == "--store") {
      const char* v = next();
      o->store = v ? v : "";
      if (o->store != "none" && o->store != "memory" && o->store != "serialize") {
        std::fprintf(stderr, "coordinator_bench: --store is none, memory or serialize\n");
        return false;
      }
    } else if (a == "--json") {
      o->json = true;
    } else if (a != "--workers" && a != "--slots" && a != "--maps" && a != "--reduces") {
      std::fprintf(stderr, "coordinator_bench: unknown argument %s\n", a.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace
}  // namespace aviary::coordinator

int main(int argc, char** argv) {
  aviary::coordinator::Options options;
  if (!aviary::coordinator::ParseArgs(argc, argv, &options)) return 2;
  spdlog::set_level(spdlog::level::warn);  // a line per registered worker would drown the figures
  return aviary::coordinator::Run(options);
}
