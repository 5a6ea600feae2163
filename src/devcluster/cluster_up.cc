// LocalCluster::Up: lays out the directory, picks ports, starts the shard servers, the config
// server, the coordinator and the workers, and waits until each is ready.
#include <chrono>
#include <filesystem>
#include <thread>

#include "client/coordinator_client.h"
#include "devcluster/cluster.h"
#include "devcluster/cluster_meta.h"
#include "storage/mongo/mongo_client.h"
#include "storage/mongo/queries.h"

namespace aviary::devcluster {
namespace {

constexpr int kServerStartMs = 30'000;
constexpr int kCoordinatorStartMs = 15'000;
constexpr int kWorkerStartMs = 30'000;
constexpr int kMaxShards = 64;

// A daemon just started: readiness is a line in its log after `offset`.
struct Started {
  ProcessRef proc;
  std::string log;
  uint64_t offset = 0;
  std::string what;  // for messages
};

constexpr size_t kCoordinators = 2;

std::vector<std::string> AviaryArgs(const ClusterUpOptions& options) {
  std::vector<std::string> args = {SelfExePath(), "--log-level", options.log_level};
  if (!options.secret_file.empty()) {
    args.push_back("--secret-file");
    args.push_back(options.secret_file);
  }
  return args;
}

std::vector<std::string> WorkerArgs(const ClusterUpOptions& options, const std::string& coordinator,
                                    const WorkerRecord& w, const std::string& shard_uri) {
  std::vector<std::string> args = AviaryArgs(options);
  const std::vector<std::string> worker = {"worker",  "--coordinator", coordinator, "--listen", "127.0.0.1:0",
                                           "--data-dir", w.data_dir,  "--shard",     w.shard,    "--shard-uri",
                                           shard_uri,  "--slots",     std::to_string(options.slots),
                                           "--memory", std::to_string(options.memory_mb)};
  args.insert(args.end(), worker.begin(), worker.end());
  return args;
}

Status MakeDirs(const std::vector<std::string>& dirs) {
  for (const std::string& d : dirs) {
    std::error_code ec;
    std::filesystem::create_directories(d, ec);
    if (ec) return IOError("cannot create " + d + ": " + ec.message());
  }
  return Status::OK();
}

// Ports base, base+1, ... checked free; names[i] says what port i is for.
StatusOr<std::vector<int>> PortsFromBase(int base, const std::vector<std::string>& names) {
  if (base < 1024 || base + static_cast<int>(names.size()) > 65535) {
    return InvalidArgument("--base-port " + std::to_string(base) + " leaves no room for " +
                           std::to_string(names.size()) + " ports below 65536 (use 1024 or more)");
  }
  std::vector<int> ports;
  for (size_t i = 0; i < names.size(); ++i) {
    const int port = base + static_cast<int>(i);
    if (!PortIsFree(port)) {
      return InvalidArgument("port " + std::to_string(port) + " (for " + names[i] +
                             ") is in use on 127.0.0.1; choose another --base-port");
    }
    ports.push_back(port);
  }
  return ports;
}

bool AllFree(const std::vector<int>& ports) {
  for (int p : ports) {
    if (p <= 0 || !PortIsFree(p)) return false;
  }
  return true;
}

// True when every worker pid in `pids` is registered and alive at the coordinator.
bool AllRegistered(const rpc::ClusterStatusResponse& cluster, const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) {
    bool found = false;
    for (const rpc::WorkerInfo& w : cluster.workers()) found = found || (w.pid() == pid && w.alive());
    if (!found) return false;
  }
  return true;
}

}  // namespace

Status LocalCluster::Up(const ClusterUpOptions& options) {
  RETURN_IF_ERROR(CheckNothingRuns());
  RETURN_IF_ERROR(ShardServerPath().status());
  Status s = PlanLayout(options);
  if (s.ok()) s = StartServers();
  if (s.ok()) s = StartCoordinator(options);
  if (s.ok()) s = StartWorkers(options);
  if (s.ok()) s = WaitForWorkers();
  if (s.ok()) s = RegisterShards();
  if (s.ok()) s = StartGateway(options);
  if (s.ok()) s = Save();
  if (s.ok()) {
    exists_ = true;
    return s;
  }
  (void)Stop();
  return s.WithContext("starting the cluster in " + dir_);
}

Status LocalCluster::CheckNothingRuns() const {
  const ClusterState snapshot = state();
  int alive = 0;
  for (const ProcessRef& p : snapshot.Processes()) alive += IsAlive(p) ? 1 : 0;
  if (alive == 0) return Status::OK();
  return AlreadyExists("a cluster is already running in " + dir_ + " (" + std::to_string(alive) +
                       " processes alive, entry " + snapshot.entry_uri() + "); stop it first with `aviary cluster down --dir " +
                       dir_ + "`");
}

Status LocalCluster::PlanLayout(const ClusterUpOptions& options) {
  const int existing = static_cast<int>(state().shards.size());
  if (existing > 0 && options.shards > 0 && options.shards != existing) {
    return InvalidArgument(dir_ + " holds a cluster of " + std::to_string(existing) + " shards, not " +
                           std::to_string(options.shards) + "; use another --dir (or leave out --shards)");
  }
  const int k = options.shards > 0 ? options.shards : (existing > 0 ? existing : 2);
  if (k > kMaxShards) return InvalidArgument("--shards must be between 1 and " + std::to_string(kMaxShards));
  std::vector<std::string> dirs = {dir_ + "/logs", dir_ + "/config"};
  {
    std::lock_guard<std::mutex> lock(mu_);
    state_.shards.resize(k);
    state_.workers.resize(k);
    state_.coordinators.resize(kCoordinators);
    state_.config.name = "config";
    state_.config.data_dir = dir_ + "/config";
    for (int i = 0; i < k; ++i) {
      state_.shards[i].name = "shard" + std::to_string(i);
      state_.shards[i].data_dir = dir_ + "/shards/" + state_.shards[i].name;
      state_.workers[i].shard = state_.shards[i].name;
      state_.workers[i].data_dir = dir_ + "/workers/" + std::to_string(i);
      dirs.push_back(state_.shards[i].data_dir);
      dirs.push_back(state_.workers[i].data_dir);
    }
  }
  RETURN_IF_ERROR(MakeDirs(dirs));
  return AssignPorts(options);
}

// Ports in order: shards, config server, coordinators, gateway, the coordinators' web UIs. Prefers the previous ones, so that the
// entry URI survives a restart.
Status LocalCluster::AssignPorts(const ClusterUpOptions& options) {
  ClusterState snapshot = state();
  std::vector<std::string> names;
  std::vector<int> previous;
  for (const ServerRecord& s : snapshot.shards) {
    names.push_back("shard server " + s.name);
    previous.push_back(s.port);
  }
  names.push_back("the config server");
  previous.push_back(snapshot.config.port);
  for (const CoordinatorRecord& c : snapshot.coordinators) {
    names.push_back("coordinator on port " + std::to_string(c.port));
    previous.push_back(c.port);
  }
  names.push_back("the gateway");
  previous.push_back(snapshot.gateway.port);
  for (const CoordinatorRecord& c : snapshot.coordinators) {
    names.push_back("web UI of the coordinator on port " + std::to_string(c.port));
    previous.push_back(c.http_port);
  }
  std::vector<int> ports = previous;
  if (options.base_port > 0) {
    ASSIGN_OR_RETURN(ports, PortsFromBase(options.base_port, names));
  } else if (!AllFree(previous)) {
    ASSIGN_OR_RETURN(ports, PickFreePorts(static_cast<int>(names.size())));
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < state_.shards.size(); ++i) state_.shards[i].port = ports[i];
  state_.config.port = ports[state_.shards.size()];
  for (size_t i = 0; i < state_.coordinators.size(); ++i) state_.coordinators[i].port = ports[state_.shards.size() + 1 + i];
  const size_t gateway = state_.shards.size() + 1 + state_.coordinators.size();
  state_.gateway.port = ports[gateway];
  for (size_t i = 0; i < state_.coordinators.size(); ++i) state_.coordinators[i].http_port = ports[gateway + 1 + i];
  return Status::OK();
}

Status LocalCluster::StartServers() {
  ASSIGN_OR_RETURN(std::string bin, ShardServerPath());
  std::vector<ServerRecord*> servers;
  for (ServerRecord& s : state_.shards) servers.push_back(&s);
  servers.push_back(&state_.config);
  std::vector<Started> started;
  for (ServerRecord* s : servers) {
    const std::string log = dir_ + "/logs/" + s->name + ".log";
    const uint64_t offset = FileSizeOrZero(log);
    ASSIGN_OR_RETURN(ProcessRef proc, Spawn({bin, "--listen", s->host(), "--data-dir", s->data_dir}, log, &s->proc));
    const std::string what = (s == &state_.config ? "config server" : "shard server " + s->name) + " on " + s->host();
    started.push_back({proc, log, offset, what});
  }
  for (const Started& s : started) {
    RETURN_IF_ERROR(WaitForLogLine(s.log, s.offset, "ready mongodb://", s.proc, s.what, kServerStartMs).status());
  }
  return Status::OK();
}

// Two coordinators share the config server as their metadata store: one holds the lease and
// acts, the other stands by and takes over if the first dies.
Status LocalCluster::StartCoordinator(const ClusterUpOptions& options) {
  const std::string metadata = state_.config.uri() + "aviary_metadata";
  std::vector<Started> started;
  for (size_t i = 0; i < state_.coordinators.size(); ++i) {
    CoordinatorRecord& c = state_.coordinators[i];
    const std::string log = dir_ + "/logs/coordinator" + std::to_string(i) + ".log";
    const uint64_t offset = FileSizeOrZero(log);  // the log is appended to across restarts
    std::vector<std::string> args = AviaryArgs(options);
    args.insert(args.end(), {"coordinator", "--listen", c.address(), "--metadata", metadata, "--http",
                             "127.0.0.1:" + std::to_string(c.http_port)});
    ASSIGN_OR_RETURN(ProcessRef proc, Spawn(args, log, &c.proc));
    started.push_back({proc, log, offset, "the coordinator on " + c.address()});
  }
  for (const Started& s : started) {
    RETURN_IF_ERROR(WaitForLogLine(s.log, s.offset, "coordinator listening on ", s.proc, s.what, kCoordinatorStartMs).status());
  }
  return Status::OK();
}

Status LocalCluster::StartWorkers(const ClusterUpOptions& options) {
  const std::string coordinator = state_.CoordinatorAddresses();
  std::vector<Started> started;
  for (size_t i = 0; i < state_.workers.size(); ++i) {
    WorkerRecord& w = state_.workers[i];
    const std::string log = dir_ + "/logs/worker" + std::to_string(i) + ".log";
    const uint64_t offset = FileSizeOrZero(log);
    ASSIGN_OR_RETURN(ProcessRef proc, Spawn(WorkerArgs(options, coordinator, w, state_.shards[i].uri()), log, &w.proc));
    started.push_back({proc, log, offset, "the worker of " + w.shard});
  }
  for (size_t i = 0; i < started.size(); ++i) {
    const Started& s = started[i];
    ASSIGN_OR_RETURN(std::string address,
                     WaitForLogLine(s.log, s.offset, "worker serving map outputs on ", s.proc, s.what, kWorkerStartMs));
    std::lock_guard<std::mutex> lock(mu_);
    state_.workers[i].address = address;
  }
  return Save();
}

Status LocalCluster::WaitForWorkers() {
  const ClusterState snapshot = state();
  std::vector<pid_t> pids;
  for (const WorkerRecord& w : snapshot.workers) pids.push_back(w.proc.pid);
  client::CoordinatorClient client(snapshot.CoordinatorAddresses());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWorkerStartMs);
  while (true) {
    StatusOr<rpc::ClusterStatusResponse> cluster = client.ClusterStatus();
    if (cluster.ok() && AllRegistered(*cluster, pids)) return Status::OK();
    for (const WorkerRecord& w : snapshot.workers) {
      if (!IsAlive(w.proc.ref())) {
        return Internal("the worker of " + w.shard + " exited; the end of " + w.proc.log + ":\n" + LogTail(w.proc.log, 5));
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return DeadlineExceeded("the workers did not all register with the coordinators " + snapshot.CoordinatorAddresses() +
                              " within " + std::to_string(kWorkerStartMs / 1000) + " s; see " + dir_ + "/logs");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// The client entry: a gateway relaying to the config server and routing CRUD on sharded
// collections by the chunk table, so that drivers see one sharded cluster as behind mongos.
Status LocalCluster::StartGateway(const ClusterUpOptions& options) {
  const std::string log = dir_ + "/logs/gateway.log";
  const uint64_t offset = FileSizeOrZero(log);
  std::vector<std::string> args = AviaryArgs(options);
  const std::string listen = "127.0.0.1:" + std::to_string(state_.gateway.port);
  args.insert(args.end(), {"gateway", "--listen", listen, "--upstream", state_.config.uri(), "--coordinator",
                           state_.CoordinatorAddresses(), "--route-by-chunks", state_.config.uri()});
  ASSIGN_OR_RETURN(ProcessRef proc, Spawn(args, log, &state_.gateway.proc));
  RETURN_IF_ERROR(WaitForLogLine(log, offset, "gateway listening on ", proc, "the gateway on " + listen, kCoordinatorStartMs).status());
  return Save();
}

Status LocalCluster::RegisterShards() {
  const ClusterState snapshot = state();
  ASSIGN_OR_RETURN(auto client, mongo::Client::Connect(snapshot.config.uri(), 10'000));
  std::vector<mongo::ShardInfo> shards;
  for (const ServerRecord& s : snapshot.shards) shards.push_back({s.name, s.host()});
  RETURN_IF_ERROR(devcluster::RegisterShards(client->get(), snapshot.config.host(), shards));
  // Each shard knows it is one, as in MongoDB, so a job given a shard's own URI is refused
  // instead of silently reading that shard alone.
  for (const ServerRecord& s : snapshot.shards) {
    ASSIGN_OR_RETURN(auto shard, mongo::Client::Connect(s.uri(), 10'000));
    RETURN_IF_ERROR(mongo::WriteShardIdentity(shard.get(), {s.name, snapshot.config.host()}));
  }
  return Status::OK();
}

}  // namespace aviary::devcluster
