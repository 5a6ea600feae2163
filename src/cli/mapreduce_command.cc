// `aviary mapreduce`: MongoDB's mapReduce command document, run as a `javascript` job, answered
// with MongoDB's reply as JSON.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "client/coordinator_client.h"
#include "mapreduce/command.h"
#include "mapreduce/reply.h"
#include "mapreduce/runner.h"

namespace aviary::cli {

namespace {

using BsonPtr = mapreduce::OwnedBson;

struct MapReduceFlags {
  std::string coordinator;
  std::string spec;
  std::string db;
  std::string collection;
  std::string out;
  std::string map, reduce, finalize;
  bool reduce_single = false;
};

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

StatusOr<BsonPtr> ParseJson(const std::string& json, const std::string& what) {
  bson_error_t e;
  bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()), static_cast<ssize_t>(json.size()), &e);
  if (doc == nullptr) return InvalidArgument(what + " is not a JSON document: " + e.message);
  return BsonPtr(doc);
}

// --out NAME or --out '{"merge": "x"}'.
Status AppendOut(const std::string& out, bson_t* command) {
  if (out.empty()) {
    bson_t inline_out;
    BSON_APPEND_DOCUMENT_BEGIN(command, "out", &inline_out);
    BSON_APPEND_INT32(&inline_out, "inline", 1);
    bson_append_document_end(command, &inline_out);
    return Status::OK();
  }
  if (out[0] != '{') {
    BSON_APPEND_UTF8(command, "out", out.c_str());
    return Status::OK();
  }
  StatusOr<BsonPtr> doc = ParseJson(out, "--out");
  if (!doc.ok()) return doc.status();
  BSON_APPEND_DOCUMENT(command, "out", doc->get());
  return Status::OK();
}

Status AppendFunction(const std::string& path, const char* name, bson_t* command) {
  if (path.empty()) return Status::OK();
  StatusOr<std::string> source = ReadFile(path);
  if (!source.ok()) return source.status();
  BSON_APPEND_CODE(command, name, source->c_str());
  return Status::OK();
}

// The command: the spec's fields, with --collection, --out and the function files in place of
// the spec's own.
StatusOr<BsonPtr> BuildCommand(const MapReduceFlags& f) {
  BsonPtr spec(bson_new());
  if (!f.spec.empty()) {
    StatusOr<std::string> text = ReadFile(f.spec);
    if (!text.ok()) return text.status();
    StatusOr<BsonPtr> parsed = ParseJson(*text, f.spec);
    if (!parsed.ok()) return parsed.status();
    spec = std::move(*parsed);
  }
  BsonPtr command(bson_new());
  bson_iter_t it;
  bson_iter_init(&it, spec.get());
  const bool has_first = bson_iter_next(&it);
  if (!f.collection.empty()) {
    BSON_APPEND_UTF8(command.get(), "mapReduce", f.collection.c_str());
  } else if (has_first) {
    bson_append_iter(command.get(), nullptr, 0, &it);
  } else {
    return InvalidArgument("give --spec FILE, or --collection with --map and --reduce");
  }
  const auto overridden = [&](std::string_view key) {
    return (key == "map" && !f.map.empty()) || (key == "reduce" && !f.reduce.empty()) ||
           (key == "finalize" && !f.finalize.empty()) || (key == "out" && !f.out.empty()) ||
           (key == "reduceSingle" && f.reduce_single);
  };
  while (has_first && bson_iter_next(&it)) {
    if (!overridden(bson_iter_key(&it))) bson_append_iter(command.get(), nullptr, 0, &it);
  }
  for (auto [path, name] : {std::pair{&f.map, "map"}, {&f.reduce, "reduce"}, {&f.finalize, "finalize"}}) {
    if (Status s = AppendFunction(*path, name, command.get()); !s.ok()) return s;
  }
  if (f.reduce_single) BSON_APPEND_BOOL(command.get(), "reduceSingle", true);
  if (!f.out.empty() || !bson_has_field(command.get(), "out")) {
    if (Status s = AppendOut(f.out, command.get()); !s.ok()) return s;
  }
  return command;
}

int ExitCodeForError(const mapreduce::Error& e) {
  if (e.code == 6) return kExitUnavailable;       // HostUnreachable
  // The job failed, its result did not read, or it ran past maxTimeMS.
  if (e.code == 139 || e.code == 1 || e.code == 50) return kExitJobFailed;
  return kExitUsage;
}

int PrintError(const mapreduce::Error& error) {
  bson_t reply = BSON_INITIALIZER;
  mapreduce::BuildErrorReply(error, &reply);
  std::cout << mapreduce::ToRelaxedJson(&reply) << std::endl;
  bson_destroy(&reply);
  return ExitCodeForError(error);
}

int RunMapReduce(const MapReduceFlags& f) {
  StatusOr<BsonPtr> command = BuildCommand(f);
  if (!command.ok()) return PrintError(mapreduce::ErrorFromStatus(command.status()));
  mapreduce::Request request;
  mapreduce::Error error;
  if (!mapreduce::ParseCommand(command->get(), mapreduce::Target{f.db, ""}, &request, &error)) return PrintError(error);
  client::CoordinatorClient coordinator(f.coordinator);
  bson_t reply = BSON_INITIALIZER;
  const bool ok = mapreduce::Run(coordinator, request, &reply, &error);
  if (ok) std::cout << mapreduce::ToRelaxedJson(&reply) << std::endl;
  bson_destroy(&reply);
  return ok ? kExitOk : PrintError(error);
}

}  // namespace

Adapter DefineMapReduce(CLI::App* cmd) {
  auto f = std::make_shared<MapReduceFlags>();
  AddCoordinatorOption(cmd, &f->coordinator, "coordinator HOST:PORT (or a comma-separated list)");
  cmd->add_option("--spec", f->spec, "the mapReduce command document as JSON (Extended JSON: $code, $date, ...)");
  cmd->add_option("--db", f->db, "the MongoDB server and database: mongodb://HOST:PORT/DB (the spec's $db names the database if the URI does not)")
      ->required();
  cmd->add_option("--collection", f->collection, "input collection (instead of the spec's mapReduce field)");
  cmd->add_option("--out", f->out, "output: a collection name or a JSON out document (default {\"inline\": 1} without a spec's out)");
  cmd->add_option("--map", f->map, "file holding the map function");
  cmd->add_option("--reduce", f->reduce, "file holding the reduce function");
  cmd->add_option("--finalize", f->finalize, "file holding the finalize function");
  cmd->add_flag("--reduce-single", f->reduce_single,
                "call reduce also for a key with a single value, as MongoDB 4.4+ does (the spec's reduceSingle: true)");
  return [f](const GlobalFlags& global) {
    QuietLogs(global);
    return RunMapReduce(*f);
  };
}

}  // namespace aviary::cli
