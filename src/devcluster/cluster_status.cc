#include "devcluster/cluster_status.h"

#include <fmt/format.h>

#include <optional>

#include "client/coordinator_client.h"

namespace aviary::devcluster {
namespace {

using json = nlohmann::ordered_json;

// Adds pid, alive and log to `j` (which already names the process).
json WithDaemon(json j, const DaemonRecord& d, bool* all_alive) {
  const bool alive = d.pid > 0 && IsAlive(d.ref());
  *all_alive = *all_alive && alive;
  j["pid"] = alive ? d.pid : 0;
  j["alive"] = alive;
  j["log"] = d.log;
  return j;
}

// The coordinator's view of the cluster, when it answers.
std::optional<rpc::ClusterStatusResponse> AskCoordinator(const CoordinatorRecord& c, bool alive) {
  if (!alive) return std::nullopt;
  StatusOr<rpc::ClusterStatusResponse> cluster = client::CoordinatorClient(c.address()).ClusterStatus();
  if (!cluster.ok()) return std::nullopt;
  return *cluster;
}

bool Registered(const std::optional<rpc::ClusterStatusResponse>& cluster, pid_t pid) {
  if (!cluster || pid <= 0) return false;
  for (const rpc::WorkerInfo& w : cluster->workers()) {
    if (w.pid() == pid && w.alive()) return true;
  }
  return false;
}

json CoordinatorsJson(const ClusterState& state, bool* running,
                      std::optional<rpc::ClusterStatusResponse>* first_answer) {
  json out = json::array();
  for (const CoordinatorRecord& c : state.coordinators) {
    json j = WithDaemon({{"address", c.address()}, {"web_ui", c.http_url()}}, c.proc, running);
    const auto answer = AskCoordinator(c, j["alive"].get<bool>());
    j["answers"] = answer.has_value();
    j["active"] = answer && answer->active();
    j["term"] = answer ? answer->term() : 0;
    *running = *running && answer.has_value();
    // The active coordinator's view counts; a standby knows no workers.
    if (answer && (!*first_answer || (answer->active() && !(*first_answer)->active()))) *first_answer = answer;
    out.push_back(j);
  }
  return out;
}

std::string AliveWord(const json& j) { return j["alive"].get<bool>() ? "running" : "stopped"; }

}  // namespace

json ClusterStatusJson(const ClusterState& state) {
  bool running = true;
  json status = {{"dir", state.dir}, {"entry", state.entry_uri()}, {"running", false}, {"logs", state.dir + "/logs"}};
  status["gateway"] = state.gateway.uri();
  status["gateway_process"] = WithDaemon({{"uri", state.gateway.uri()}}, state.gateway.proc, &running);
  status["config_server"] = WithDaemon({{"uri", state.config.uri()}}, state.config.proc, &running);
  std::optional<rpc::ClusterStatusResponse> cluster;
  status["coordinators"] = CoordinatorsJson(state, &running, &cluster);
  status["coordinator_env"] = "AVIARY_COORDINATOR=" + state.CoordinatorAddresses();
  status["shards"] = json::array();
  status["workers"] = json::array();
  for (size_t i = 0; i < state.shards.size(); ++i) {
    const ServerRecord& s = state.shards[i];
    const std::string worker = i < state.workers.size() ? state.workers[i].address : "";
    status["shards"].push_back(WithDaemon({{"name", s.name}, {"uri", s.uri()}, {"worker", worker}, {"data_dir", s.data_dir}},
                                          s.proc, &running));
  }
  for (const WorkerRecord& w : state.workers) {
    json j = WithDaemon({{"address", w.address}, {"shard", w.shard}, {"data_dir", w.data_dir}}, w.proc, &running);
    j["registered"] = Registered(cluster, w.proc.pid);
    running = running && j["registered"].get<bool>();
    status["workers"].push_back(j);
  }
  status["running"] = running;
  return status;
}

std::string DescribeClusterStatus(const json& status) {
  std::string out = fmt::format("cluster in {}: {}\n", status["dir"].get<std::string>(),
                                status["running"].get<bool>() ? "running" : "not running (or degraded)");
  const json& config = status["config_server"];
  const json& gateway = status["gateway_process"];
  out += fmt::format("  gateway      {}  clients connect here (routes by chunks like mongos), {} (pid {})\n",
                     status["gateway"].get<std::string>(), AliveWord(gateway), gateway["pid"].get<int>());
  out += fmt::format("  entry        {}  config server, {} (pid {})\n", status["entry"].get<std::string>(),
                     AliveWord(config), config["pid"].get<int>());
  for (const json& c : status["coordinators"]) {
    const std::string ui = c["web_ui"].get<std::string>();
    out += fmt::format("  coordinator  {}  {} (pid {}){}{}\n", c["address"].get<std::string>(), AliveWord(c),
                       c["pid"].get<int>(), c["answers"].get<bool>() ? (c["active"].get<bool>() ? ", active" : ", standby") : ", not answering",
                       ui.empty() ? "" : ", web UI " + ui);
  }
  for (const json& s : status["shards"]) {
    out += fmt::format("  {:<12} {}  {} (pid {})\n", s["name"].get<std::string>(), s["uri"].get<std::string>(),
                       AliveWord(s), s["pid"].get<int>());
  }
  for (const json& w : status["workers"]) {
    out += fmt::format("  worker       {}  next to {}, {} (pid {}){}\n", w["address"].get<std::string>(),
                       w["shard"].get<std::string>(), AliveWord(w), w["pid"].get<int>(),
                       w["registered"].get<bool>() ? ", registered" : ", not registered");
  }
  out += fmt::format("  logs         {}\n", status["logs"].get<std::string>());
  out += fmt::format("so that --coordinator need not be typed:\n  export {}\n", status["coordinator_env"].get<std::string>());
  return out;
}

}  // namespace aviary::devcluster
