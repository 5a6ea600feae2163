#include "devcluster/cluster_state.h"

#include <nlohmann/json.hpp>

#include "common/env.h"

namespace aviary::devcluster {
namespace {

using nlohmann::json;

constexpr int kStateVersion = 1;

json DaemonJson(const DaemonRecord& d) {
  return {{"pid", d.pid}, {"start_ticks", d.start_ticks}, {"log", d.log}};
}

void ReadDaemon(const json& j, DaemonRecord* d) {
  d->pid = j.value("pid", 0);
  d->start_ticks = j.value("start_ticks", uint64_t{0});
  d->log = j.value("log", "");
}

json ServerJson(const ServerRecord& s) {
  json j = DaemonJson(s.proc);
  j["name"] = s.name;
  j["port"] = s.port;
  j["data_dir"] = s.data_dir;
  return j;
}

ServerRecord ReadServer(const json& j) {
  ServerRecord s;
  s.name = j.value("name", "");
  s.port = j.value("port", 0);
  s.data_dir = j.value("data_dir", "");
  ReadDaemon(j, &s.proc);
  return s;
}

json StateJson(const ClusterState& state) {
  json j = {{"version", kStateVersion}, {"dir", state.dir}, {"entry", state.entry_uri()},
            {"config", ServerJson(state.config)}, {"shards", json::array()}, {"coordinators", json::array()},
            {"workers", json::array()}};
  for (const ServerRecord& s : state.shards) j["shards"].push_back(ServerJson(s));
  for (const CoordinatorRecord& c : state.coordinators) {
    json cj = DaemonJson(c.proc);
    cj["port"] = c.port;
    cj["http_port"] = c.http_port;
    j["coordinators"].push_back(cj);
  }
  json gj = DaemonJson(state.gateway.proc);
  gj["port"] = state.gateway.port;
  j["gateway"] = gj;
  for (const WorkerRecord& w : state.workers) {
    json wj = DaemonJson(w.proc);
    wj["shard"] = w.shard;
    wj["address"] = w.address;
    wj["data_dir"] = w.data_dir;
    j["workers"].push_back(wj);
  }
  return j;
}

ClusterState ReadState(const json& j) {
  ClusterState state;
  state.dir = j.value("dir", "");
  state.config = ReadServer(j.at("config"));
  for (const json& s : j.at("shards")) state.shards.push_back(ReadServer(s));
  for (const json& c : j.at("coordinators")) {
    CoordinatorRecord record;
    record.port = c.value("port", 0);
    record.http_port = c.value("http_port", 0);  // 0 in clusters recorded before the web UI
    ReadDaemon(c, &record.proc);
    state.coordinators.push_back(record);
  }
  for (const json& w : j.at("workers")) {
    WorkerRecord record;
    record.shard = w.value("shard", "");
    record.address = w.value("address", "");
    record.data_dir = w.value("data_dir", "");
    ReadDaemon(w, &record.proc);
    state.workers.push_back(record);
  }
  if (j.contains("gateway")) {  // clusters recorded before the gateway have none
    state.gateway.port = j["gateway"].value("port", 0);
    ReadDaemon(j["gateway"], &state.gateway.proc);
  }
  return state;
}

void AddIfRunning(const DaemonRecord& d, std::vector<ProcessRef>* out) {
  if (d.pid > 0) out->push_back(d.ref());
}

}  // namespace

std::vector<ProcessRef> ClusterState::ComputeProcesses() const {
  std::vector<ProcessRef> out;
  for (const WorkerRecord& w : workers) AddIfRunning(w.proc, &out);
  for (const CoordinatorRecord& c : coordinators) AddIfRunning(c.proc, &out);
  AddIfRunning(gateway.proc, &out);
  return out;
}

std::vector<ProcessRef> ClusterState::ServerProcesses() const {
  std::vector<ProcessRef> out;
  for (const ServerRecord& s : shards) AddIfRunning(s.proc, &out);
  AddIfRunning(config.proc, &out);
  return out;
}

std::vector<ProcessRef> ClusterState::Processes() const {
  std::vector<ProcessRef> out = ComputeProcesses();
  for (const ProcessRef& p : ServerProcesses()) out.push_back(p);
  return out;
}

std::string ClusterFile(const std::string& dir) { return dir + "/cluster.json"; }

Status SaveClusterState(const ClusterState& state) {
  return WriteFileAtomically(Env::Default(), ClusterFile(state.dir), StateJson(state).dump(2) + "\n");
}

StatusOr<ClusterState> LoadClusterState(const std::string& dir) {
  const std::string path = ClusterFile(dir);
  if (!Env::Default()->FileExists(path)) {
    return NotFound("no cluster in " + dir + " (no " + path + "); start one with `aviary cluster up --dir " + dir + "`");
  }
  std::string text;
  RETURN_IF_ERROR(ReadFileToString(Env::Default(), path, &text));
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument(path + " is not valid JSON");
  try {
    ClusterState state = ReadState(j);
    state.dir = dir;  // the directory may have moved since
    return state;
  } catch (const json::exception& e) {
    return InvalidArgument(path + " is damaged: " + e.what());
  }
}

std::string ClusterState::CoordinatorAddresses() const {
  std::string out;
  for (const CoordinatorRecord& c : coordinators) out += (out.empty() ? "" : ",") + c.address();
  return out;
}

}  // namespace aviary::devcluster
