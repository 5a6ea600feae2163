#include "worker/task_runner.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "plugin/plugin.h"
#include "rpc/grpc_util.h"
#include "rpc/utf8.h"
#include "shuffle/map_output.h"
#include "shuffle/reduce.h"
#include "storage/input.h"
#include "storage/output.h"
#include "worker/fetcher.h"
#include "worker/split_claims.h"
#include "worker/task_process.h"
#include "worker/user_error.h"

namespace aviary::worker {
namespace {

constexpr int kProgressFd = 3;
constexpr int kSecretFd = 4;  // reduce attempts: the cluster secret, read and closed before user code

std::string MemoryLimitError(const rpc::TaskSpec& spec) {
  return "exceeded the memory limit of " + std::to_string(AttemptMemoryLimit(spec) >> 20) + " MB (an allocation failed)";
}

class SpecParams : public Params {
 public:
  explicit SpecParams(const rpc::JobSpec& job) : job_(job) {}
  std::string_view Get(std::string_view name, std::string_view fallback) const override {
    auto it = job_.params().find(std::string(name));
    return it == job_.params().end() ? fallback : std::string_view(it->second);
  }

 private:
  const rpc::JobSpec& job_;
};

// Hands the existing target's documents to the shuffle whole (out mode "reduce"); the reduce
// side folds them into keys with new results and leaves the others alone (existing_result.h).
class PassthroughSink : public RecordSink {
 public:
  explicit PassthroughSink(shuffle::MapOutputCollector* collector) : collector_(collector) {}
  bool OnRecord(const Record& record) override {
    if (record.document() != nullptr) collector_->EmitExisting(*record.document());
    return collector_->status().ok();
  }
  const Status& status() const override { return collector_->status(); }

 private:
  shuffle::MapOutputCollector* collector_;
};

// Feeds records to the plugin's Map, turning its exceptions into a status.
class MapSink : public RecordSink {
 public:
  MapSink(Job* job, shuffle::MapOutputCollector* collector, ProgressReporter* progress, std::string limit_error)
      : job_(job),
        collector_(collector),
        progress_(progress),
        limit_error_(std::move(limit_error)),
        line_blocks_(job->map_takes_line_blocks()) {}

  bool OnRecord(const Record& record) override {
    if (!Map(record, /*block=*/false)) return false;
    // Often enough that a slow Map still publishes its counters every second (Report() is
    // rate-limited; the check costs a clock read per 16 records).
    if ((++records_ & 15) == 0) progress_->Report(records_);
    return true;
  }

  bool takes_line_blocks() const override { return line_blocks_; }
  bool OnLineBlock(const Record& record, uint64_t lines) override {
    if (!Map(record, /*block=*/true)) return false;
    records_ += lines;
    progress_->Report(records_);  // a block is up to a read buffer's worth of lines
    return true;
  }

  void OnReadBuffer(const char* begin, const char* end) override { collector_->SetReadableRange(begin, end); }

  const Status& status() const override { return status_.ok() ? collector_->status() : status_; }

 private:
  // Calls the plugin's Map; false when it failed or the collector did. `block`: the record
  // holds many lines (OnLineBlock), which the error message says.
  bool Map(const Record& record, bool block) {
    try {
      job_->Map(record, collector_->ContextForNextRecord());
    } catch (const std::bad_alloc&) {
      status_ = ResourceExhausted(limit_error_);
      return false;
    } catch (const LimitExceeded& e) {
      status_ = Internal(std::string("Map hit a limit: ") + e.what() + Where(record, block));
      return false;
    } catch (const std::exception& e) {
      status_ = UserCodeError("Map", std::string("plugin threw in Map: ") + e.what() + Where(record, block));
      return false;
    } catch (...) {
      status_ = UserCodeError("Map", "plugin threw a non-standard exception in Map" + Where(record, block));
      return false;
    }
    return collector_->status().ok();
  }

  static std::string Where(const Record& record, bool block) {
    const RecordSource& src = record.source();
    const char* what = block ? " (lines from " : " (record at ";
    if (!src.file.empty()) return what + std::string(src.file) + " offset " + std::to_string(src.offset) + ")";
    if (!src.shard.empty()) return " (document of shard " + std::string(src.shard) + ")";
    return "";
  }

  Job* job_;
  shuffle::MapOutputCollector* collector_;
  ProgressReporter* progress_;
  std::string limit_error_;
  const bool line_blocks_;
  Status status_;
  uint64_t records_ = 0;
};

// This process's resident set size now (0 if /proc is unreadable).
uint64_t ResidentBytes() {
  uint64_t pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%lu %lu", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

void FillResultUsage(rpc::TaskResult* result) {
  FillUsage(result->mutable_task_counters());
  result->set_cpu_seconds(result->task_counters().cpu_seconds());
  result->set_peak_rss_bytes(result->task_counters().peak_rss_bytes());
}

void FillMapCounters(const InputStats& in, const shuffle::MapOutputStats& out, bool passthrough,
                     rpc::TaskCounters* c) {
  // Out mode "reduce" reads the existing target back: that is not the job's input.
  if (passthrough) {
    c->set_existing_records(in.records);
  } else {
    c->set_input_records(in.records);
    c->set_input_bytes(in.bytes);
  }
  c->set_map_emits(out.map_emits);
  c->set_combine_input_records(out.combine_input_records);
  c->set_combine_output_records(out.combine_output_records);
  c->set_spilled_records(out.spilled_records);
  c->set_spilled_bytes(out.spilled_bytes);
  c->set_map_output_records(out.output_records);
  c->set_map_output_bytes(out.output_bytes);
  c->set_reduce_calls(out.reduce_calls);
}

std::string LiveCountersPath(const rpc::TaskSpec& spec) { return spec.work_dir() + "/" + kLiveCountersFile; }

StatusOr<JobPtr> StartJob(const rpc::TaskSpec& spec, std::unique_ptr<Plugin>* plugin) {
  ASSIGN_OR_RETURN(*plugin, Plugin::Open(spec.plugin_path()));
  ASSIGN_OR_RETURN(JobPtr job, (*plugin)->NewJob());
  SpecParams params(spec.job());
  std::string error;
  bool ok = false;
  try {
    ok = job->Setup(params, &error);
  } catch (const std::exception& e) {
    error = std::string("plugin threw in Setup: ") + e.what();
  }
  if (!ok) return InvalidArgument("job setup failed: " + (error.empty() ? std::string("no reason given") : error));
  return job;
}

// Reads the attempt's split into `sink`, then, if it may, the splits it claims one after another
// (worker/split_claims.h), each claimed as the one before starts so that the answer is there
// when it ends. `own` counts the attempt's own split, `all` every split read; each carried one
// goes into `result`.
Status ReadSplits(Env* env, const rpc::TaskSpec& spec, InputFormat* input, RecordSink* sink, InputStats* own,
                  InputStats* all, ProgressReporter* progress, rpc::TaskResult* result) {
  SplitClaimer claimer(env, spec.work_dir());
  // The daemon waits on the progress pipe: a report after each claim brings it to the claim.
  auto claim = [&] {
    RETURN_IF_ERROR(claimer.Claim());
    progress->Wake();
    return Status::OK();
  };
  if (spec.claim_splits()) RETURN_IF_ERROR(claim());
  RETURN_IF_ERROR(input->ReadSplit(spec.split(), sink, own));
  *all = *own;
  while (claimer.claim_open()) {
    ASSIGN_OR_RETURN(std::optional<rpc::SplitGrant> grant, claimer.AwaitGrant());
    if (!grant) break;
    RETURN_IF_ERROR(sink->status());
    RETURN_IF_ERROR(claim());
    // A split elsewhere (a shard without a live worker) is read through a source of its own.
    std::unique_ptr<InputFormat> elsewhere;
    if (grant->split().location() != spec.split().location()) {
      ASSIGN_OR_RETURN(elsewhere, InputFormat::ForSplit(spec.job(), grant->split(), env));
    }
    // Failing from here on is this split's failure (the coordinator charges its task), until
    // it has been read through.
    rpc::CarriedSplit* carried = result->add_carried();
    carried->set_task(grant->task());
    carried->set_failed(true);
    RETURN_IF_ERROR(NoteReadingCarried(env, spec.work_dir(), grant->task()));
    InputStats read;
    RETURN_IF_ERROR((elsewhere ? elsewhere.get() : input)->ReadSplit(grant->split(), sink, &read));
    RETURN_IF_ERROR(sink->status());
    carried->set_failed(false);
    carried->set_records_in(read.records);
    carried->set_bytes_in(read.bytes);
    carried->set_orphans_skipped(read.orphans_skipped);
    carried->set_read_locally(grant->split().location().empty() || grant->split().location() == spec.worker_location());
    all->records += read.records;
    all->bytes += read.bytes;
    all->bad_records += read.bad_records;
    all->orphans_skipped += read.orphans_skipped;
  }
  return result->carried_size() > 0 ? ClearReadingCarried(env, spec.work_dir()) : Status::OK();
}

Status RunMap(Env* env, const rpc::TaskSpec& spec, ProgressReporter* progress, rpc::TaskResult* result,
              const std::function<void()>& before_user_code) {
  if (before_user_code) before_user_code();
  std::unique_ptr<Plugin> plugin;
  ASSIGN_OR_RETURN(JobPtr job, StartJob(spec, &plugin));
  ASSIGN_OR_RETURN(auto input, InputFormat::ForSplit(spec.job(), spec.split(), env));
  shuffle::MapOutputOptions options;
  options.num_partitions = spec.num_partitions();
  // The budget is the whole task process's: what it holds already (code, libraries, the
  // plugin, the input's buffers) comes off the collector's share, which keeps at least a quarter.
  const uint64_t budget = spec.memory_budget_bytes();
  const uint64_t resident = ResidentBytes();
  options.memory_budget_bytes = std::max(budget / 4, budget > resident ? budget - resident : 0);
  options.spill_dir = spec.work_dir() + "/spill";
  options.compress = !spec.uncompressed_map_output();
  options.existing_results = spec.split().passthrough();
  ASSIGN_OR_RETURN(auto collector, shuffle::MapOutputCollector::Create(env, job.get(), options));

  MapSink map_sink(job.get(), collector.get(), progress, MemoryLimitError(spec));
  PassthroughSink passthrough_sink(collector.get());
  RecordSink* sink = spec.split().passthrough() ? static_cast<RecordSink*>(&passthrough_sink) : &map_sink;
  InputStats stats, all_stats;  // the attempt's own split; every split it read
  const bool passthrough = spec.split().passthrough();
  progress->SetCounters(LiveCountersPath(spec), [&](uint64_t records, rpc::TaskCounters* c) {
    if (passthrough) {
      c->set_existing_records(records);
    } else {
      c->set_input_records(records);
    }
    c->set_map_emits(collector->emitted());
  });
  Status read = ReadSplits(env, spec, input.get(), sink, &stats, &all_stats, progress, result);
  progress->SetCounters("", nullptr);  // the snapshot refers to this frame
  RETURN_IF_ERROR(sink->status());
  RETURN_IF_ERROR(read);

  const std::string output = spec.work_dir() + "/output";
  shuffle::MapOutputStats out_stats;
  RETURN_IF_ERROR(collector->Finish(output, &out_stats));
  result->set_output_path(output);
  uint64_t written = 0;
  for (uint64_t b : out_stats.partition_bytes) {
    result->add_partition_bytes(b);
    written += b;
  }
  result->set_bytes_out(written);
  result->set_records_in(stats.records);
  result->set_bytes_in(stats.bytes);
  result->set_records_out(out_stats.records_out);
  result->set_spills(out_stats.spills);
  result->set_orphans_skipped(stats.orphans_skipped);
  result->set_read_locally(spec.split().location().empty() || spec.split().location() == spec.worker_location());
  FillMapCounters(all_stats, out_stats, passthrough, result->mutable_task_counters());
  for (const auto& [name, value] : out_stats.counters) {
    rpc::Counter* c = result->add_counters();
    c->set_name(name);
    c->set_value(value);
  }
  if (out_stats.spills > 0) {  // job-wide, so `aviary status` shows when map output did not fit
    rpc::Counter* c = result->add_counters();
    c->set_name("map_spills");
    c->set_value(static_cast<int64_t>(out_stats.spills));
  }
  if (all_stats.bad_records) {
    rpc::Counter* c = result->add_counters();
    c->set_name("bad_records_skipped");
    c->set_value(static_cast<int64_t>(all_stats.bad_records));
  }
  return Status::OK();
}

// An attempt's process exits right after its result is written (TaskRunnerMain): its fetch
// channels stay open to that exit instead of being closed on the job's critical path. Not with
// TLS: a channel's credentials hold a copy of the private key, which user code must not share
// a process with.
void KeepOpenToExit(std::vector<std::shared_ptr<grpc::Channel>> channels) {
  if (rpc::GetTransportOptions().tls()) return;
  static std::mutex mu;
  static auto* kept = new std::vector<std::shared_ptr<grpc::Channel>>();
  std::lock_guard<std::mutex> lock(mu);
  for (auto& channel : channels) kept->push_back(std::move(channel));
}

void ReportProgress(void* arg, uint64_t records) { static_cast<ProgressReporter*>(arg)->Report(records); }

Status RunReduceTask(Env* env, const rpc::TaskSpec& spec, ProgressReporter* progress, rpc::TaskResult* result,
                     const std::function<void()>& before_user_code) {
  ASSIGN_OR_RETURN(auto output, OutputFormat::ForJob(spec.job(), env));
  const std::string dir = spec.work_dir() + "/segments";
  RETURN_IF_ERROR(env->CreateDirs(dir));
  const int64_t fetch_start_us = env->NowMicros();
  FetchResult fetched = FetchPartitions(env, spec, dir, progress);
  KeepOpenToExit(std::move(fetched.channels));
  rpc::TaskCounters* counters = result->mutable_task_counters();
  counters->set_shuffle_bytes(fetched.bytes);
  counters->set_fetch_millis(static_cast<uint64_t>((env->NowMicros() - fetch_start_us) / 1000));
  RETURN_IF_ERROR(fetched.local_error);  // our own failure (a full disk, say): fail, blame no map
  if (!fetched.lost_map_tasks.empty()) {
    for (uint32_t m : fetched.lost_map_tasks) result->add_lost_map_tasks(m);
    return fetched.error;
  }
  // The fetch was the only use of the cluster secret: it is gone before the plugin is loaded.
  if (before_user_code) before_user_code();
  std::unique_ptr<Plugin> plugin;
  ASSIGN_OR_RETURN(JobPtr job, StartJob(spec, &plugin));
  ASSIGN_OR_RETURN(auto writer, output->OpenTaskWriter(spec.job_id(), spec.task(), spec.attempt()));
  shuffle::ReduceStats stats;
  progress->SetCounters(LiveCountersPath(spec), [counters](uint64_t values, rpc::TaskCounters* c) {
    c->set_shuffle_bytes(counters->shuffle_bytes());
    c->set_reduce_input_values(values);
  });
  Status reduced = shuffle::RunReduce(env, job.get(), fetched.segment_files, writer.get(), &stats, ReportProgress,
                                      progress);
  progress->SetCounters("", nullptr);
  RETURN_IF_ERROR(reduced);
  RETURN_IF_ERROR(writer->Close());
  counters->set_reduce_groups(stats.groups);
  counters->set_reduce_input_values(stats.records_in);
  counters->set_reduce_calls(stats.reduce_calls);
  counters->set_output_records(stats.keys_out);
  counters->set_output_bytes(stats.bytes_out);
  result->set_output_location(writer->location());
  result->set_records_in(stats.records_in);
  result->set_bytes_in(fetched.bytes);
  result->set_records_out(stats.keys_out);
  result->set_bytes_out(stats.bytes_out);
  (void)env->DeleteRecursively(dir);  // fetched copies are no longer needed
  return Status::OK();
}

}  // namespace

void FillUsage(rpc::TaskCounters* counters) {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  counters->set_cpu_seconds(static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                            static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6);
  counters->set_peak_rss_bytes(static_cast<uint64_t>(usage.ru_maxrss) * 1024);
}

void ProgressReporter::Report(uint64_t progress) {
  if (fd_ < 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = env_->NowMicros();
  if (now - last_us_ < 100'000) return;
  last_us_ = now;
  last_sent_ = progress;
  (void)!::write(fd_, &progress, sizeof progress);
  if (snapshot_ && now - last_counters_us_ >= 1'000'000) {
    last_counters_us_ = now;
    PublishCounters(progress);
  }
}

void ProgressReporter::SetCounters(std::string path, Snapshot snapshot) {
  counters_path_ = std::move(path);
  snapshot_ = std::move(snapshot);
  // The first file a second from now: an attempt shorter than that reports its counters in its
  // result alone, and creates one file fewer.
  last_counters_us_ = env_->NowMicros();
}

// Without fsync: the file only matters while this process lives.
void ProgressReporter::PublishCounters(uint64_t progress) {
  rpc::TaskCounters counters;
  snapshot_(progress, &counters);
  FillUsage(&counters);
  const std::string tmp = counters_path_ + ".tmp";
  auto file = env_->NewWritableFile(tmp);
  if (!file.ok()) return;
  Status s = (*file)->Append(counters.SerializeAsString());
  if (s.ok()) s = (*file)->Flush(/*sync=*/false);
  if (s.ok()) s = (*file)->Close();
  if (s.ok()) s = env_->RenameFile(tmp, counters_path_);
  if (!s.ok()) (void)env_->DeleteFile(tmp);
}

void ProgressReporter::ReportNow(uint64_t progress) {
  if (fd_ < 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  last_sent_ = progress;
  (void)!::write(fd_, &progress, sizeof progress);
}

void ProgressReporter::Wake() {
  if (fd_ < 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  (void)!::write(fd_, &last_sent_, sizeof last_sent_);
}

rpc::TaskResult RunTask(Env* env, const rpc::TaskSpec& spec, ProgressReporter* progress,
                        const std::function<void()>& before_user_code) {
  rpc::TaskResult result;
  result.set_job_id(spec.job_id());
  result.set_kind(spec.kind());
  result.set_task(spec.task());
  result.set_attempt(spec.attempt());
  Status s;
  try {
    s = spec.kind() == rpc::MAP ? RunMap(env, spec, progress, &result, before_user_code)
                                : RunReduceTask(env, spec, progress, &result, before_user_code);
  } catch (const std::bad_alloc&) {
    s = ResourceExhausted(MemoryLimitError(spec));
  } catch (const std::exception& e) {
    s = Internal(std::string("uncaught exception: ") + e.what());
  }
  result.set_ok(s.ok());
  if (!s.ok()) result.set_error(s.message());
  MarkUserError(s, &result);
  FillResultUsage(&result);
  return result;
}

namespace {

// The credentials the daemon left on fd 4 (reduce attempts; rpc::EncodeTransportSecrets), or ""
// when there are none; fd 4 is closed.
std::string TakeSecret() {
  if (::fcntl(kSecretFd, F_GETFD) < 0) return "";
  std::string secret;
  char buffer[4096];
  for (ssize_t n; (n = ::read(kSecretFd, buffer, sizeof buffer)) > 0;) secret.append(buffer, static_cast<size_t>(n));
  OPENSSL_cleanse(buffer, sizeof buffer);
  ::close(kSecretFd);
  return secret;
}

// Limits the kernel enforces on this process and on what it forks (hard limits, so user code
// cannot raise them). The daemon watches resident memory too; this backstop refuses the huge
// allocation the daemon's polling would see too late. Not under AddressSanitizer, whose shadow
// memory is terabytes of address space.
void SetLimits(const rpc::TaskSpec& spec, uint32_t cpu_limit_seconds) {
  if (AttemptMemoryLimit(spec) > 0 && !kUnderAddressSanitizer) {
    const rlim_t data = 2 * AttemptMemoryLimit(spec) + (1ull << 30);
    const struct rlimit limit = {data, data};
    ::setrlimit(RLIMIT_DATA, &limit);
  }
  if (cpu_limit_seconds > 0) {
    // SIGXCPU at the limit (the daemon names it), SIGKILL shortly after for a task that ignores it.
    const struct rlimit limit = {cpu_limit_seconds, cpu_limit_seconds + 2};
    ::setrlimit(RLIMIT_CPU, &limit);
  }
}

}  // namespace

int TaskRunnerMain(const std::string& work_dir, uint32_t cpu_limit_seconds) {
  // Die with the worker daemon: an orphaned attempt would only waste a core.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) return 3;
  // What user code forks stays below us even after setsid(), where the daemon finds and kills it.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  std::string secret = TakeSecret();
  rpc::TransportOptions transport;
  if (!secret.empty() && !rpc::DecodeTransportSecrets(secret, &transport)) {
    std::fprintf(stderr, "the credentials from the worker daemon are malformed\n");
    return 2;
  }
  rpc::SetTransportOptions(transport);
  OPENSSL_cleanse(secret.data(), secret.size());
  OPENSSL_cleanse(transport.secret.data(), transport.secret.size());
  OPENSSL_cleanse(transport.tls_key.data(), transport.tls_key.size());
  Env* env = Env::Default();
  std::string bytes;
  rpc::TaskSpec spec;
  if (!ReadFileToString(env, work_dir + "/spec.pb", &bytes).ok() || !spec.ParseFromString(bytes)) {
    std::fprintf(stderr, "cannot read task spec in %s\n", work_dir.c_str());
    return 2;
  }
  SetLimits(spec, cpu_limit_seconds);
  ProgressReporter progress(env, kProgressFd);
  progress.ReportNow(0);
  rpc::TaskResult result = RunTask(env, spec, &progress, [] { rpc::ForgetSecret(); });
  if (!result.ok()) {
    // A failed attempt's scratch is useless. Free it first, so that a full disk neither swallows
    // the result (and the error in it) nor fails the attempts that come after this one.
    for (const char* scratch : {"/spill", "/segments", "/output"}) (void)env->DeleteRecursively(work_dir + scratch);
  }
  rpc::RepairUtf8(&result);  // user code's error text may hold any bytes; the worker must parse it
  // Unsynced like the map output it describes: both only matter while the machine stays up.
  Status s = WriteFileAtomically(env, work_dir + "/result.pb", result.SerializeAsString(), Durability::kUnsynced);
  if (!s.ok()) {
    std::fprintf(stderr, "cannot write task result: %s\n", s.ToString().c_str());
    return 2;
  }
  std::fflush(nullptr);
  // Skip global destructors of plugin libraries: the attempt is complete.
  ::_exit(0);
}

}  // namespace aviary::worker
