// LocalCluster: opening and locking a cluster directory, recording and stopping its processes.
// Starting them is in cluster_up.cc.
#include "devcluster/cluster.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace aviary::devcluster {
namespace {

constexpr int kStopGraceMs = 10'000;

void ClearPids(ClusterState* state) {
  state->config.proc.pid = 0;
  for (ServerRecord& s : state->shards) s.proc.pid = 0;
  for (CoordinatorRecord& c : state->coordinators) c.proc.pid = 0;
  for (WorkerRecord& w : state->workers) w.proc.pid = 0;
}

int CountAlive(const std::vector<ProcessRef>& procs) {
  int n = 0;
  for (const ProcessRef& p : procs) n += IsAlive(p) ? 1 : 0;
  return n;
}

}  // namespace

StatusOr<std::unique_ptr<LocalCluster>> LocalCluster::Open(const std::string& dir, bool create) {
  if (dir.empty()) return InvalidArgument("--dir must name a directory");
  std::error_code ec;
  const std::string abs = std::filesystem::weakly_canonical(std::filesystem::absolute(dir, ec), ec).string();
  if (!create) {
    StatusOr<ClusterState> existing = LoadClusterState(abs);  // NotFound names the command to run
    if (!existing.ok()) return existing.status();
  }
  std::filesystem::create_directories(abs, ec);
  if (ec) return IOError("cannot create cluster directory " + abs + ": " + ec.message());
  const std::string lock_path = abs + "/.lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return IOError("cannot open " + lock_path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return FailedPrecondition("another aviary command is working on the cluster in " + abs +
                              " (it holds " + lock_path + "); wait for it to finish");
  }
  std::unique_ptr<LocalCluster> cluster(new LocalCluster(abs, fd));
  StatusOr<ClusterState> state = LoadClusterState(abs);
  if (state.ok()) {
    cluster->state_ = std::move(state).value();
    cluster->exists_ = true;
  } else if (state.status().code() != StatusCode::kNotFound) {
    return state.status();
  }
  cluster->state_.dir = abs;
  return cluster;
}

LocalCluster::~LocalCluster() { ::close(lock_fd_); }

ClusterState LocalCluster::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

Status LocalCluster::Save() const {
  std::lock_guard<std::mutex> lock(mu_);
  return SaveClusterState(state_);
}

StatusOr<ProcessRef> LocalCluster::Spawn(const std::vector<std::string>& argv, const std::string& log,
                                         DaemonRecord* record) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return Cancelled("interrupted: the cluster in " + dir_ + " is being stopped");
  // Daemons run in the cluster's directory: whatever they leave behind stays there.
  ASSIGN_OR_RETURN(ProcessRef proc, SpawnDaemon(argv, log, dir_));
  record->Set(proc);
  record->log = log;
  // Recorded on disk at once, so that `cluster down` finds it even if this process dies now.
  RETURN_IF_ERROR(SaveClusterState(state_));
  return proc;
}

StatusOr<int> LocalCluster::Stop() {
  ClusterState snapshot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    snapshot = state_;
  }
  const int running = CountAlive(snapshot.Processes());
  // Workers and coordinators first: once their clients are gone the servers stop at once.
  StopProcesses(snapshot.ComputeProcesses(), kStopGraceMs);
  StopProcesses(snapshot.ServerProcesses(), kStopGraceMs);
  std::lock_guard<std::mutex> lock(mu_);
  ClearPids(&state_);
  if (!exists_ && running == 0 && snapshot.Processes().empty()) return 0;  // nothing was ever recorded
  RETURN_IF_ERROR(SaveClusterState(state_));
  return running;
}

StatusOr<std::string> ShardServerPath() {
  const std::string path = SelfExeDir() + "/aviary-shardserver";
  if (::access(path.c_str(), X_OK) != 0) {
    return FailedPrecondition("the shard server binary " + path +
                              " is missing; build it with scripts/build_shardserver.sh " + path);
  }
  return path;
}

}  // namespace aviary::devcluster
