#include "coordinator/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/private_dir.h"
#include "coordinator/open_jobs.h"
#include "rpc/auth.h"
#include "rpc/aviary.grpc.pb.h"
#include "rpc/grpc_util.h"
#include "rpc/utf8.h"

namespace aviary::coordinator {

class CoordinatorServer::Service final : public rpc::Coordinator::Service {
  static constexpr size_t kChunk = 1 << 20;
  static constexpr size_t kMaxLogReplyBytes = 3u << 20;

 public:
  explicit Service(CoordinatorServer* server) : server_(server) {}

  grpc::Status RegisterWorker(grpc::ServerContext* ctx, const rpc::RegisterWorkerRequest* request,
                              rpc::RegisterWorkerResponse* response) override {
    return Run(ctx, "RegisterWorker", [&](JobTracker& t) {
      *response = t.RegisterWorker(*request);
      return Status::OK();
    }, /*fenced=*/true);
  }

  grpc::Status Heartbeat(grpc::ServerContext* ctx, const rpc::HeartbeatRequest* request,
                         rpc::HeartbeatResponse* response) override {
    return Run(ctx, "Heartbeat", [&](JobTracker& t) {
      if (request->term() > t.term()) {
        // A worker has seen a newer coordinator: this one is stale and must stop acting.
        server_->StepDown("a worker reports term " + std::to_string(request->term()));
        return Unavailable("this coordinator was superseded");
      }
      *response = t.Heartbeat(*request);
      // A finished reduce attempt may have finished its job: commit it now, not at the next tick.
      // (Maps never end a job that succeeds; reduces are few, so are the extra ticks. The tracker
      // never holds a heartbeat that reports a reduce's end, so this comes at once.)
      for (const rpc::TaskResult& r : request->finished()) {
        if (r.kind() == rpc::REDUCE) {
          server_->WakeTicker();
          break;
        }
      }
      return Status::OK();
    }, /*fenced=*/true);
  }

  grpc::Status SubmitJob(grpc::ServerContext* ctx, const rpc::SubmitJobRequest* request,
                         rpc::SubmitJobResponse* response) override {
    return Run(ctx, "SubmitJob", [&](JobTracker&) {
      ASSIGN_OR_RETURN(std::string id, server_->Submit(*request));
      response->set_job_id(id);
      return Status::OK();
    });
  }

  grpc::Status GetJob(grpc::ServerContext* ctx, const rpc::GetJobRequest* request, rpc::JobStatus* response) override {
    return Run(ctx, "GetJob", [&](JobTracker& t) {
      ASSIGN_OR_RETURN(*response, t.GetJob(request->job_id(), request->with_tasks(), request->hold_ms()));
      rpc::RepairUtf8(response);  // an unparseable reply would hide the job from its client
      return Status::OK();
    });
  }

  grpc::Status ListJobs(grpc::ServerContext* ctx, const rpc::ListJobsRequest*, rpc::ListJobsResponse* response) override {
    return Run(ctx, "ListJobs", [&](JobTracker& t) {
      for (auto& job : t.ListJobs()) *response->add_jobs() = std::move(job);
      rpc::RepairUtf8(response);
      return Status::OK();
    });
  }

  grpc::Status CancelJob(grpc::ServerContext* ctx, const rpc::CancelJobRequest* request,
                         rpc::CancelJobResponse*) override {
    return Run(ctx, "CancelJob", [&](JobTracker& t) { return t.Cancel(request->job_id()); });
  }

  grpc::Status ReadTaskLogs(grpc::ServerContext* ctx, const rpc::ReadTaskLogsRequest* request,
                            rpc::ReadTaskLogsResponse* response) override {
    return Run(ctx, "ReadTaskLogs", [&](JobTracker& t) -> Status {
      TaskLogFilter filter;
      filter.kind = request->kind();
      if (request->has_task()) filter.task = request->task();
      filter.attempt = request->attempt();
      ASSIGN_OR_RETURN(std::vector<rpc::TaskLog> logs, t.ReadTaskLogs(request->job_id(), filter));
      size_t bytes = 0;
      for (rpc::TaskLog& log : logs) {
        bytes += log.text().size();
        if (bytes > kMaxLogReplyBytes) {  // under gRPC's message limit; the rest is listed, textless
          log.clear_text();
          log.set_omitted(true);
        }
        *response->add_logs() = std::move(log);
      }
      return Status::OK();
    });
  }

  grpc::Status ReadOutput(grpc::ServerContext* ctx, const rpc::ReadOutputRequest* request,
                          grpc::ServerWriter<rpc::DataChunk>* writer) override {
    return Run(ctx, "ReadOutput", [&](JobTracker& t) -> Status {
      ASSIGN_OR_RETURN(std::vector<std::string> files, t.ClaimInlineOutput(request->job_id()));
      Status sent = StreamFiles(files, writer);
      t.ReleaseInlineOutput(request->job_id(), /*delivered=*/sent.ok());
      return sent;
    });
  }

  static Status StreamFiles(const std::vector<std::string>& files, grpc::ServerWriter<rpc::DataChunk>* writer) {
    std::string contents;
    for (const std::string& path : files) {
      RETURN_IF_ERROR(ReadFileToString(Env::Default(), path, &contents));
      for (size_t off = 0; off < contents.size(); off += kChunk) {
        rpc::DataChunk chunk;
        chunk.set_data(contents.substr(off, kChunk));
        if (!writer->Write(chunk)) return Cancelled("client went away");
      }
    }
    return Status::OK();
  }

  grpc::Status FetchPlugin(grpc::ServerContext* ctx, const rpc::FetchPluginRequest* request,
                           grpc::ServerWriter<rpc::DataChunk>* writer) override {
    return Run(ctx, "FetchPlugin", [&](JobTracker&) -> Status {
      ASSIGN_OR_RETURN(std::string library, server_->plugins().Get(request->sha256()));
      for (size_t off = 0; off < library.size(); off += kChunk) {
        rpc::DataChunk chunk;
        chunk.set_data(library.substr(off, kChunk));
        if (off == 0) chunk.set_total_bytes(library.size());
        if (!writer->Write(chunk)) return Cancelled("worker went away");
      }
      return Status::OK();
    });
  }

  grpc::Status ClusterStatus(grpc::ServerContext* ctx, const rpc::ClusterStatusRequest*,
                             rpc::ClusterStatusResponse* response) override {
    if (auto s = rpc::CheckAuth(ctx, "ClusterStatus"); !s.ok()) return rpc::ToGrpc(s);
    std::shared_ptr<JobTracker> tracker = server_->tracker();
    if (tracker) *response = tracker->ClusterStatus();
    response->set_active(tracker != nullptr);
    // A standby tells the term of the lease it sees the active coordinator hold.
    if (!tracker) response->set_term(server_->observed_term());
    return grpc::Status::OK;
  }

 private:
  // Authenticates, then runs `fn` on the active tracker; a standby answers UNAVAILABLE so that
  // clients and workers move on to the next coordinator address. With `fenced`, an answer is
  // only given if this coordinator is still active when `fn` returns: what a coordinator that
  // may have been superseded meanwhile decided (task assignments, worker ids) must not be used.
  template <typename Fn>
  grpc::Status Run(grpc::ServerContext* ctx, const char* method, Fn&& fn, bool fenced = false) {
    if (auto s = rpc::CheckAuth(ctx, method); !s.ok()) {
      server_->CountRpcError(method, grpc::StatusCode::UNAUTHENTICATED);
      return rpc::ToGrpc(s);
    }
    std::shared_ptr<JobTracker> tracker = server_->tracker();
    if (!tracker) return rpc::ToGrpc(Unavailable("standby coordinator " + server_->address() + " is not active"));
    grpc::Status result = rpc::ToGrpc(fn(*tracker));
    if (fenced && server_->tracker() != tracker) {
      result = rpc::ToGrpc(Unavailable("coordinator " + server_->address() + " stepped down while answering"));
    }
    if (!result.ok()) server_->CountRpcError(method, result.error_code());
    return result;
  }

  CoordinatorServer* server_;  // not owned
};

CoordinatorServer::CoordinatorServer(Env* env, TrackerOptions options, std::unique_ptr<MetadataStore> store,
                                     LeaseOptions lease)
    : env_(env),
      options_(options),
      store_(std::move(store)),
      lease_(lease),
      service_(std::make_unique<Service>(this)) {}

CoordinatorServer::~CoordinatorServer() { Stop(); }

void CoordinatorServer::CountRpcError(const char* method, grpc::StatusCode code) {
  static const char* const kNames[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                       "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
                                       "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  const int c = static_cast<int>(code);
  const std::string name = c >= 0 && c <= 16 ? kNames[c] : std::to_string(c);
  std::lock_guard<std::mutex> lock(errors_mu_);
  ++rpc_errors_[std::string(method) + "/" + name];
}

std::map<std::string, uint64_t> CoordinatorServer::RpcErrors() const {
  std::lock_guard<std::mutex> lock(errors_mu_);
  return rpc_errors_;
}

StatusOr<std::string> CoordinatorServer::Submit(const rpc::SubmitJobRequest& request) {
  std::shared_ptr<JobTracker> active = tracker();
  if (!active) return Unavailable("standby coordinator " + address_ + " is not active");
  RETURN_IF_ERROR(plugins_->Put(request.job().plugin_sha256(), request.plugin_library()).WithContext("storing the plugin"));
  return active->Submit(request.job());
}

std::shared_ptr<JobTracker> CoordinatorServer::tracker() const {
  if (!LeaseFresh()) return nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  return tracker_;
}

bool CoordinatorServer::LeaseFresh() const {
  return store_ == nullptr || env_->NowMicros() - renewed_at_us_.load() <= lease_.lease_timeout_us / 2;
}

// Fills in the spool directories under a private data dir, creating and checking each.
Status CoordinatorServer::PrepareDataDirs() {
  if (options_.data_dir.empty()) {
    StatusOr<std::string> dir = DefaultDaemonDir("coordinator");
    if (!dir.ok()) return dir.status();
    options_.data_dir = *dir;
    owns_data_dir_ = true;
  }
  RETURN_IF_ERROR(EnsurePrivateDir(options_.data_dir));
  if (options_.inline_dir.empty()) options_.inline_dir = options_.data_dir + "/inline";
  if (options_.plugin_dir.empty()) options_.plugin_dir = options_.data_dir + "/plugins";
  RETURN_IF_ERROR(EnsurePrivateDir(options_.inline_dir));
  RETURN_IF_ERROR(EnsurePrivateDir(options_.plugin_dir));
  if (options_.task_log_dir.empty()) options_.task_log_dir = options_.data_dir + "/task-logs";
  RETURN_IF_ERROR(EnsurePrivateDir(options_.task_log_dir));
  if (owns_data_dir_) CleanUpDeadCoordinators(env_, options_.data_dir);
  if (store_ == nullptr) {
    // Without a store nothing of an earlier life here can be resumed (coordinator/open_jobs.h).
    options_.open_jobs_dir = OpenJobsDir(options_.data_dir);
    RETURN_IF_ERROR(EnsurePrivateDir(options_.open_jobs_dir));
    CleanUpEarlierLife(env_, options_.data_dir, options_.inline_dir);
  }
  spdlog::info("coordinator data directory {}", options_.data_dir);
  return Status::OK();
}

Status CoordinatorServer::Start(const std::string& listen) {
  RETURN_IF_ERROR(PrepareDataDirs());
  plugins_ = std::make_unique<PluginStore>(env_, options_.plugin_dir, store_.get());
  grpc::ServerBuilder builder;
  int port = 0;
  rpc::ConfigureServer(&builder, listen, &port);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || port == 0) return Unavailable("cannot listen on " + listen + " (address in use or invalid)");
  address_ = listen.substr(0, listen.rfind(':')) + ":" + std::to_string(port);
  if (store_ == nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    tracker_ = std::make_shared<JobTracker>(env_, options_);
  } else {
    leader_ = std::thread([this] { LeadershipLoop(); });
    watchdog_ = std::thread([this] { WatchLease(); });
  }
  ticker_ = std::thread([this] { TickLoop(); });
  spdlog::info("coordinator listening on {}{}", address_, store_ ? " (standby until it holds the lease)" : "");
  return Status::OK();
}

void CoordinatorServer::TickLoop() {
  constexpr uint64_t kTicksPerHousekeeping = 10;  // a walk over every job; retention is coarse
  for (uint64_t tick = 0; !stopping_.load(); ++tick) {
    if (std::shared_ptr<JobTracker> t = tracker()) {
      t->Tick();
      if (tick % kTicksPerHousekeeping == 0) {
        for (const std::string& sha : t->Housekeep()) {
          if (Status s = plugins_->Remove(sha); !s.ok()) spdlog::warn("removing plugin {}: {}", sha, s.ToString());
        }
      }
    }
    SleepUntilTickOrWake();
  }
}

// Real time, not env_'s clock: no test drives the server on a fake one, and a wake must cut the
// wait short (a fake clock's sleep could not be interrupted).
void CoordinatorServer::SleepUntilTickOrWake() {
  std::unique_lock<std::mutex> lock(wake_mu_);
  wake_cv_.wait_for(lock, std::chrono::microseconds(options_.tick_us), [this] { return wake_ || stopping_.load(); });
  wake_ = false;
}

void CoordinatorServer::WakeTicker() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    wake_ = true;
  }
  wake_cv_.notify_one();
}

void CoordinatorServer::StepDown(const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  StepDownLocked(why);
}

void CoordinatorServer::StepDownLocked(const std::string& why) {
  if (!tracker_) return;
  spdlog::warn("stepping down as active coordinator (term {}): {}", tracker_->term(), why);
  tracker_->Fence();  // calls still running on it (stuck on the store, say) must not act any more
  tracker_.reset();
}

void CoordinatorServer::WatchLease() {
  while (!stopping_.load()) {
    {
      // Checked under mu_: a takeover sets the renewal time before it installs its tracker.
      std::lock_guard<std::mutex> lock(mu_);
      if (tracker_ && !LeaseFresh()) {
        StepDownLocked("lease not renewed for " + std::to_string((env_->NowMicros() - renewed_at_us_.load()) / 1000) +
                       " ms (is the metadata server reachable?)");
      }
    }
    env_->SleepForMicros(std::min<int64_t>(lease_.lease_timeout_us / 20, 50'000));
  }
}

void CoordinatorServer::TryTakeOver(uint64_t term) {
  // The lease counts from before the claim: a rival sees it no earlier than that.
  const int64_t start = env_->NowMicros();
  StatusOr<bool> won = store_->TryAcquire(term, address_);
  if (!won.ok() || !*won) return;
  auto tracker = std::make_shared<JobTracker>(env_, options_, store_.get(), term);
  Status s = tracker->Restore();
  if (!s.ok()) {
    spdlog::error("took term {} but cannot load the stored state: {}", term, s.ToString());
    return;  // the lease will run out and another coordinator (or this one) tries again
  }
  std::lock_guard<std::mutex> lock(mu_);
  renewed_at_us_ = start;
  tracker_ = std::move(tracker);
  observed_term_ = std::max(observed_term_.load(), term);
  spdlog::info("active coordinator for term {}", term);
}

void CoordinatorServer::LeadershipLoop() {
  const int64_t period = lease_.lease_timeout_us / 6;
  uint64_t seen_term = 0, seen_seq = 0, seq = 0;
  int64_t seen_at = env_->NowMicros();
  while (!stopping_.load()) {
    // A renewal counts from before it was sent, and only extends a lease that is still fresh.
    const int64_t now = env_->NowMicros();
    const bool fresh = LeaseFresh();
    std::shared_ptr<JobTracker> active;
    {
      std::lock_guard<std::mutex> lock(mu_);
      active = tracker_;
    }
    StatusOr<std::optional<Lease>> lease = store_->LatestLease();
    if (active) {
      Status s = !lease.ok() ? lease.status()
                 : (*lease && (*lease)->term != active->term())
                     ? Aborted("term " + std::to_string((*lease)->term) + " was taken by " + (*lease)->holder)
                     : store_->Renew(active->term(), ++seq);
      if (s.ok() && fresh) {
        renewed_at_us_ = now;
      } else if (s.ok() || s.code() == StatusCode::kAborted || !LeaseFresh()) {
        StepDown(s.ok() ? "the lease ran out before it was renewed" : s.message());
      }
    } else if (lease.ok()) {
      if (!*lease) {
        TryTakeOver(1);
      } else if ((*lease)->term != seen_term || (*lease)->seq != seen_seq) {
        seen_term = (*lease)->term;
        seen_seq = (*lease)->seq;
        observed_term_ = std::max(observed_term_.load(), seen_term);
        seen_at = now;
        std::lock_guard<std::mutex> lock(mu_);
        active_hint_ = (*lease)->holder;
      } else if (now - seen_at > lease_.lease_timeout_us) {
        spdlog::info("lease of term {} held by {} expired; taking over", seen_term, (*lease)->holder);
        TryTakeOver(seen_term + 1);
        seen_at = now;
      }
      seq = 0;
    }
    env_->SleepForMicros(period);
  }
}

void CoordinatorServer::Wait() {
  if (server_) server_->Wait();
}

void CoordinatorServer::Stop() {
  // A second caller (the destructor, while the signal thread stops the server) waits until the
  // first is done: destroying a thread that is still being joined would call std::terminate.
  std::call_once(stop_once_, [this] {
    stopping_ = true;
    WakeTicker();
    if (std::shared_ptr<JobTracker> t = tracker()) t->ReleaseHeldHeartbeats();  // or Shutdown waits them out
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    for (std::thread* t : {&ticker_, &leader_, &watchdog_}) {
      if (t->joinable()) t->join();
    }
    // Jobs of a coordinator without a store end with it: remove what they began to write.
    if (!options_.open_jobs_dir.empty()) OpenJobJournal(env_, options_.open_jobs_dir).AbortAbandoned();
    // Inline results and plugin copies of a per-process dir have no reader after we exit.
    if (owns_data_dir_) (void)env_->DeleteRecursively(options_.data_dir);
  });
}

}  // namespace aviary::coordinator
