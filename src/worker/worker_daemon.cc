#include "worker/worker_daemon.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <climits>

#include "common/private_dir.h"
#include "common/subprocess.h"
#include "plugin/plugin.h"
#include "rpc/grpc_util.h"
#include "rpc/utf8.h"
#include "worker/layout.h"
#include "worker/split_claims.h"
#include "worker/task_runner.h"

namespace aviary::worker {

WorkerDaemon::WorkerDaemon(Env* env, WorkerOptions options, rpc::ChannelFactory* channels)
    : env_(env), options_(std::move(options)), channels_(channels) {}

WorkerDaemon::~WorkerDaemon() {
  zygote_.reset();  // before the sweep, which would take it for a leftover
  KillAll("worker shutting down");
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

// Map outputs of an earlier life, or of an identity the coordinator dropped, are useless: it
// re-executed those maps already (or, restarted without a metadata store, forgot their jobs).
// Map outputs and attempt directories hold other users' data: the directory is private (0700).
Status WorkerDaemon::DropMapOutputs() {
  const std::string jobs = options_.data_dir + "/jobs";
  RETURN_IF_ERROR(env_->DeleteRecursively(jobs));
  RETURN_IF_ERROR(env_->CreateDirs(options_.data_dir));
  return EnsurePrivateDir(jobs).WithContext("worker --data-dir");
}

Status WorkerDaemon::Start() {
  if (options_.data_dir.empty()) return InvalidArgument("--data-dir is required");
  if (options_.slots == 0) return InvalidArgument("--slots must be at least 1");
  RETURN_IF_ERROR(DropMapOutputs());
  shuffle_ = std::make_unique<ShuffleService>(env_, options_.data_dir);
  grpc::ServerBuilder builder;
  int port = 0;
  rpc::ConfigureServer(&builder, options_.listen, &port);
  builder.RegisterService(shuffle_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || port == 0) return Unavailable("cannot listen on " + options_.listen + " (address in use or invalid)");
  std::string host = options_.advertise_host.empty() ? options_.listen.substr(0, options_.listen.rfind(':'))
                                                     : options_.advertise_host;
  if (host.empty() || host == "0.0.0.0" || host == "[::]") {
    char name[HOST_NAME_MAX + 1] = {};
    ::gethostname(name, sizeof name - 1);
    host = name;
  }
  address_ = host + ":" + std::to_string(port);
  if (client::ParseAddressList(options_.coordinator).empty()) return InvalidArgument("--coordinator names no address");
  coordinators_ = std::make_unique<client::CoordinatorPool>(options_.coordinator, channels_);
  metrics_ = std::make_unique<WorkerMetrics>(address_, options_.slots);
  return Status::OK();
}

std::string WorkerDaemon::MetricsText() const { return metrics_ ? metrics_->Render(env_->NowMicros()) : ""; }

Status WorkerDaemon::Register(int64_t deadline_us) {
  rpc::RegisterWorkerRequest request;
  request.set_address(address_);
  request.set_slots(options_.slots);
  request.set_location(options_.location);
  request.set_pid(::getpid());
  Status last;
  while (!stopping_) {
    grpc::ClientContext context;
    rpc::PrepareContext(&context, std::chrono::seconds(5));
    rpc::RegisterWorkerResponse response;
    last = client::FromCoordinator(coordinator().RegisterWorker(&context, request, &response), coordinator_address());
    if (last.ok() && response.term() < max_term_) last = Unavailable(coordinator_address() + " is a stale coordinator");
    if (last.ok()) {
      max_term_ = response.term();
      worker_id_ = response.worker_id();
      heartbeat_ms_ = response.heartbeat_ms() ? response.heartbeat_ms() : 100;
      spdlog::info("registered with coordinator {} as {} (shuffle at {})", coordinator_address(), worker_id_, address_);
      return Status::OK();
    }
    if (last.code() == StatusCode::kUnauthenticated) return last;
    coordinators_->Next();
    if (deadline_us > 0 && env_->NowMicros() > deadline_us) return last;
    env_->SleepForMicros(200'000);
  }
  return Cancelled("stopping");
}

Status WorkerDaemon::Run() {
  // Started by this thread, which runs the daemon loop to the end: the fork server's
  // PR_SET_PDEATHSIG follows the thread that spawned it.
  if (!options_.fork_server || !options_.reap_orphans) {
    zygote_.reset();
  } else if (!zygote_) {
    StartForkServer();
  }
  RETURN_IF_ERROR(Register(env_->NowMicros() + options_.register_timeout_us));
  while (!stopping_) {
    WaitForHeartbeat();
    if (stopping_) break;
    if (!HeartbeatOnce()) {
      // Reregister: the coordinator gave our work to others; start afresh under a new identity.
      KillAll("coordinator asked to re-register");
      finished_.clear();
      if (Status dropped = DropMapOutputs(); !dropped.ok()) spdlog::warn("dropping map outputs: {}", dropped.ToString());
      Status s = Register(/*deadline_us=*/0);
      if (!s.ok()) return s;
    }
  }
  KillAll("worker shutting down");
  return Status::OK();
}

void WorkerDaemon::StartForkServer() {
  StatusOr<std::unique_ptr<TaskZygote>> zygote = TaskZygote::Start(options_.runner_exe, TaskProcessEnvironment());
  if (!zygote.ok()) {
    spdlog::warn("task processes will be exec'd: {}", zygote.status().ToString());
    return;
  }
  zygote_ = std::move(zygote).value();
}

void WorkerDaemon::WaitForHeartbeat() {
  // A finished task is reported at once rather than at the next beat: the coordinator's answer
  // carries this slot's next task, and a job's phases wait on these reports.
  const int64_t due = last_heartbeat_us_ + static_cast<int64_t>(heartbeat_ms_) * 1000;
  for (;;) {
    const bool some_finished = PollTasks();
    const bool claimed = CollectClaims();  // a claim waits on the answer: at once, too
    const int64_t now = env_->NowMicros();
    if (some_finished || claimed || now >= due || stopping_) break;
    WaitForAttempts(due - now);
  }
  last_heartbeat_us_ = env_->NowMicros();
}

// Woken by the attempts themselves rather than looking every 2 ms: at that pace the loop took
// a daemon about 4% of a core while its attempts mapped. The wait is still cut at the pace of
// the memory checks (and at 2 ms without pidfds, which alone tell when an attempt ends).
void WorkerDaemon::WaitForAttempts(int64_t timeout_us) {
  constexpr int64_t kPollUs = 2'000;
  std::vector<struct pollfd> fds;
  bool awaitable = true;
  for (const auto& [key, process] : running_) awaitable = process->AddWakeFds(&fds) && awaitable;
  timeout_us = std::min(timeout_us, awaitable ? TaskProcess::kMemoryCheckUs : kPollUs);
  if (fds.empty() || !awaitable) {
    env_->SleepForMicros(timeout_us);
    return;
  }
  const struct timespec timeout = {.tv_sec = timeout_us / 1'000'000, .tv_nsec = (timeout_us % 1'000'000) * 1000};
  (void)::ppoll(fds.data(), fds.size(), &timeout, nullptr);
}

bool WorkerDaemon::HeartbeatOnce() {
  rpc::HeartbeatRequest request;
  request.set_worker_id(worker_id_);
  request.set_free_slots(options_.slots - static_cast<uint32_t>(std::min<size_t>(running_.size(), options_.slots)));
  for (const auto& [key, process] : running_) {
    rpc::RunningAttempt* r = request.add_running();
    r->set_job_id(process->spec().job_id());
    r->set_kind(process->spec().kind());
    r->set_task(process->spec().task());
    r->set_attempt(process->spec().attempt());
    r->set_records_in(process->progress());
    // The runner's counters so far (task_runner.h); absent until it has published them.
    std::string counters;
    if (ReadFileToString(env_, process->spec().work_dir() + "/" + kLiveCountersFile, &counters).ok() &&
        !r->mutable_counters()->ParseFromString(counters)) {
      r->clear_counters();
    }
  }
  for (const auto& result : finished_) *request.add_finished() = result;
  AddClaims(&request);
  request.set_term(max_term_);
  // Idle, nothing to watch until the answer comes: let the coordinator answer when it has a
  // task for us (a job's reduces once its last map ends elsewhere) instead of a beat later.
  // At most a second: well inside this call's deadline and the coordinator's worker timeout.
  if (running_.empty()) request.set_hold_ms(std::min<uint32_t>(heartbeat_ms_, 1000));
  // Errors carry user code's output and file names: bytes that are not UTF-8 would make the
  // coordinator refuse every heartbeat of this worker from now on.
  rpc::RepairUtf8(&request);

  grpc::ClientContext context;
  rpc::PrepareContext(&context, std::chrono::seconds(5));
  rpc::HeartbeatResponse response;
  Status s = client::FromCoordinator(coordinator().Heartbeat(&context, request, &response), coordinator_address());
  if (s.ok() && response.term() < max_term_) s = Unavailable(coordinator_address() + " is a stale coordinator");
  metrics_->Heartbeat(s.ok(), env_->NowMicros(), s.ok() ? response.term() : 0);
  if (!s.ok()) {
    spdlog::warn("heartbeat failed: {}", s.ToString());
    coordinators_->Next();
    return true;  // keep results; they are sent again next time
  }
  max_term_ = response.term();
  finished_.clear();
  if (response.reregister()) return false;
  for (const rpc::AttemptRef& ref : response.kill()) {
    auto it = running_.find({ref.job_id(), ref.kind(), ref.task(), ref.attempt()});
    if (it != running_.end()) it->second->Kill("the coordinator no longer needs this attempt");
  }
  HandOutGrants(response);
  for (const rpc::TaskSpec& spec : response.assignments()) Launch(spec);
  for (const std::string& job_id : response.finished_jobs()) DeleteJob(job_id);
  return true;
}

void WorkerDaemon::Launch(rpc::TaskSpec spec) {
  rpc::TaskResult failure;
  failure.set_job_id(spec.job_id());
  failure.set_kind(spec.kind());
  failure.set_task(spec.task());
  failure.set_attempt(spec.attempt());
  if (!IsValidJobId(spec.job_id())) {
    failure.set_error("malformed job id");
    finished_.push_back(failure);
    return;
  }
  spec.set_work_dir(AttemptDir(options_.data_dir, spec.job_id(), spec.kind(), spec.task(), spec.attempt()));
  spec.set_memory_budget_bytes(options_.memory_bytes / options_.slots);
  // Only a reducer calls other workers; a map attempt never holds the secret or the TLS key.
  const rpc::TransportOptions& transport = rpc::GetTransportOptions();
  const bool credentials = !transport.secret.empty() || transport.tls();
  const std::string secret = spec.kind() == rpc::REDUCE && credentials ? rpc::EncodeTransportSecrets(transport) : "";
  spec.set_worker_id(worker_id_);
  spec.set_worker_location(options_.location);
  StatusOr<std::string> plugin = EnsurePlugin(spec.job());
  StatusOr<std::unique_ptr<TaskProcess>> process =
      plugin.ok() ? (spec.set_plugin_path(*plugin),
                     TaskProcess::Launch(env_, options_.runner_exe, spec, options_.stall_timeout_us, secret,
                                         options_.cpu_limit_seconds, zygote_.get()))
                  : StatusOr<std::unique_ptr<TaskProcess>>(plugin.status());
  if (!process.ok()) {
    failure.set_error(process.status().message());
    finished_.push_back(failure);
    return;
  }
  running_[KeyOf(spec)] = std::move(process).value();
  started_us_[KeyOf(spec)] = env_->NowMicros();
  metrics_->SetRunning(static_cast<uint32_t>(running_.size()));
}

StatusOr<std::string> WorkerDaemon::EnsurePlugin(const rpc::JobSpec& job) {
  const std::string& sha = job.plugin_sha256();
  if (sha.size() != 64 || sha.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return InvalidArgument("job " + job.name() + " carries no valid plugin hash");
  }
  const std::string dir = options_.data_dir + "/plugins";
  const std::string path = dir + "/" + sha + ".so";
  if (verified_plugins_.count(sha)) return path;
  if (env_->FileExists(path)) {
    ASSIGN_OR_RETURN(std::string actual, Sha256File(path, env_));
    if (actual == sha) {
      verified_plugins_.insert(sha);
      return path;
    }
  }
  grpc::ClientContext context;
  rpc::PrepareContext(&context, std::chrono::minutes(2));
  rpc::FetchPluginRequest request;
  request.set_sha256(sha);
  auto reader = coordinator().FetchPlugin(&context, request);
  std::string library;
  rpc::DataChunk chunk;
  while (reader->Read(&chunk)) library += chunk.data();
  RETURN_IF_ERROR(client::FromCoordinator(reader->Finish(), coordinator_address()).WithContext("fetching plugin " + sha));
  RETURN_IF_ERROR(env_->CreateDirs(dir));
  // Unsynced: a file that a crash of the machine left short fails the hash check above on its
  // next first use and is fetched again. A sync here costs the job's first task milliseconds.
  RETURN_IF_ERROR(WriteFileAtomically(env_, path, library, Durability::kUnsynced));
  ASSIGN_OR_RETURN(std::string actual, Sha256File(path, env_));
  if (actual != sha) {
    (void)env_->DeleteFile(path);
    spdlog::error("refused plugin for job {}: SHA-256 {} differs from the job's {}", job.name(), actual, sha);
    return PermissionDenied("plugin library hash mismatch: the job names " + sha + " but the library is " + actual);
  }
  verified_plugins_.insert(sha);
  return path;
}

bool WorkerDaemon::PollTasks() {
  bool some_finished = false;
  for (auto it = running_.begin(); it != running_.end();) {
    rpc::TaskResult result;
    if (it->second->Poll(&result)) {
      auto started = started_us_.find(it->first);
      const int64_t since = started == started_us_.end() ? env_->NowMicros() : started->second;
      metrics_->AttemptEnded(result, static_cast<double>(env_->NowMicros() - since) / 1e6);
      if (started != started_us_.end()) started_us_.erase(started);
      if (!result.ok() && result.carried_size() == 0 && it->second->spec().claim_splits()) {
        // It died without a word (a crash, a kill): in a split it carried, if it said so.
        if (std::optional<uint32_t> task = ReadingCarried(env_, it->second->spec().work_dir())) {
          rpc::CarriedSplit* carried = result.add_carried();
          carried->set_task(*task);
          carried->set_failed(true);
        }
      }
      finished_.push_back(std::move(result));
      it = running_.erase(it);
      some_finished = true;
    } else {
      ++it;
    }
  }
  if (some_finished) SweepOrphans();
  metrics_->SetRunning(static_cast<uint32_t>(running_.size()));
  return some_finished;
}

bool WorkerDaemon::CollectClaims() {
  std::erase_if(claims_, [this](const auto& entry) { return running_.count(entry.first) == 0; });
  bool new_claim = false;
  for (const auto& [key, process] : running_) {
    if (!process->spec().claim_splits()) continue;
    Claims& claims = claims_[key];
    if (claims.open || !HasClaim(env_, process->spec().work_dir(), claims.answered + 1)) continue;
    claims.open = true;
    new_claim = true;
  }
  return new_claim;
}

void WorkerDaemon::AddClaims(rpc::HeartbeatRequest* request) const {
  for (const auto& [key, claims] : claims_) {
    if (!claims.open || running_.count(key) == 0) continue;
    rpc::SplitClaim* claim = request->add_claims();
    rpc::AttemptRef* ref = claim->mutable_attempt();
    ref->set_job_id(std::get<0>(key));
    ref->set_kind(static_cast<rpc::TaskKind>(std::get<1>(key)));
    ref->set_task(std::get<2>(key));
    ref->set_attempt(std::get<3>(key));
    claim->set_seq(claims.answered + 1);
  }
}

void WorkerDaemon::HandOutGrants(const rpc::HeartbeatResponse& response) {
  for (const rpc::SplitGrant& grant : response.grants()) {
    const rpc::AttemptRef& ref = grant.attempt();
    const AttemptKey key{ref.job_id(), ref.kind(), ref.task(), ref.attempt()};
    auto claims = claims_.find(key);
    auto process = running_.find(key);
    if (claims == claims_.end() || process == running_.end() || !claims->second.open ||
        grant.seq() != claims->second.answered + 1) {
      continue;
    }
    if (Status s = WriteGrant(env_, process->second->spec().work_dir(), grant); !s.ok()) {
      // It would wait for the answer forever; the coordinator re-runs what it read.
      process->second->Kill("cannot hand it the split it claimed: " + s.ToString());
      continue;
    }
    claims->second.answered++;
    claims->second.open = false;
  }
}

void WorkerDaemon::KillAll(const std::string& why) {
  for (auto& [key, process] : running_) process->Kill(why);
  running_.clear();  // destructors reap the children
  started_us_.clear();
  SweepOrphans();
}

void WorkerDaemon::SweepOrphans() {
  if (!options_.reap_orphans) return;
  std::set<pid_t> runners;
  for (const auto& [key, process] : running_) runners.insert(process->pid());
  if (zygote_) runners.insert(zygote_->pid());
  // Killing an orphan hands its own children to us in turn; a few rounds catch those.
  for (int round = 0; round < 8; ++round) {
    std::vector<pid_t> orphans;
    for (pid_t child : ChildrenOf(::getpid())) {
      if (!runners.count(child)) orphans.push_back(child);
    }
    if (orphans.empty()) return;
    for (pid_t orphan : orphans) {
      SignalProcess(orphan, SIGKILL);
      (void)WaitForExit(orphan);
    }
    spdlog::info("killed {} process(es) left behind by ended attempts", orphans.size());
  }
}

void WorkerDaemon::DeleteJob(const std::string& job_id) {
  if (!IsValidJobId(job_id)) return;
  for (auto it = running_.begin(); it != running_.end();) {
    if (std::get<0>(it->first) == job_id) {
      it->second->Kill("job ended");
      started_us_.erase(it->first);
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
  SweepOrphans();
  Status s = env_->DeleteRecursively(JobDir(options_.data_dir, job_id));
  if (!s.ok()) spdlog::warn("cleaning up job {}: {}", job_id, s.ToString());
}

WorkerDaemon::AttemptKey WorkerDaemon::KeyOf(const rpc::TaskSpec& spec) {
  return {spec.job_id(), spec.kind(), spec.task(), spec.attempt()};
}

}  // namespace aviary::worker
