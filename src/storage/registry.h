// The registry of input sources and output sinks: each kind owns one or more URI prefixes
// ("files:", "mongodb://"), names the options it takes, and opens formats for its URIs. The
// coordinator, the workers and the CLI reach every source and sink through it, never directly.
//
// The built-in kinds are listed in src/storage/CMakeLists.txt (one `aviary_format_kind(FOLDER
// FUNCTION)` line each), which generates the code that calls every FUNCTION(FormatRegistry&) once;
// see docs/architecture.md, "Adding a source".
//
// Thread safety: fill a registry from one thread; afterwards its const methods may be called from
// any thread (Default() is filled once, before first use).
#ifndef AVIARY_STORAGE_REGISTRY_H_
#define AVIARY_STORAGE_REGISTRY_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "rpc/aviary.pb.h"
#include "storage/input.h"
#include "storage/output.h"

namespace aviary {

// Option name -> value, as JobSpec.input_options and output_options carry them. A name is the
// CLI flag without its dashes ("field", "query", "out-mode").
using FormatOptions = google::protobuf::Map<std::string, std::string>;

// What opening a source or sink is given.
struct FormatArgs {
  const std::string& uri;         // the whole URI: "files:/data/*.txt"
  std::string_view rest;          // what follows the kind's prefix: "/data/*.txt"
  const FormatOptions& options;   // only names the kind takes (checked before it is called)
  const rpc::JobSpec& job;        // generic settings: overwrite, skip_bad_records
  Env* env;                       // not owned; outlives the format
};

// Hooks shared by inputs and outputs.
struct KindBase {
  std::string name;                   // "files": messages say "files: input does not take --query"
  std::vector<std::string> prefixes;  // the URIs it owns: "files:"; "mongodb://", "mongodb+srv://"
  std::string usage;                  // how its URIs look, for the list of known ones: "files:GLOB"
  std::vector<std::string> options;   // option names it takes
  // Optional: checks option values without opening anything (run by the client and by Open).
  std::function<Status(const FormatOptions&)> check_options;
  // Optional: the URI as shown in status, without secrets.
  std::function<std::string(const std::string& uri)> redact;
  // Optional: the URI a client sends, made to mean on the cluster what it means on the client
  // (files: makes a relative path absolute).
  std::function<std::string(const std::string& uri)> client_uri;
  // Optional: loads what opening this kind's formats needs (a driver library), once per process,
  // so that the processes forked from this one afterwards find it loaded. It runs in a worker's
  // fork server (worker/task_zygote.h), which must stay single-threaded: it starts no thread.
  std::function<void()> preload;
};

struct InputKind : KindBase {
  std::function<StatusOr<std::unique_ptr<InputFormat>>(const FormatArgs&)> open;
};

struct OutputKind : KindBase {
  std::function<StatusOr<std::unique_ptr<OutputFormat>>(const FormatArgs&)> open;
};

class FormatRegistry {
 public:
  // Every built-in kind, registered on first use.
  static const FormatRegistry& Default();

  // InvalidArgument when a prefix is already taken (two kinds cannot own one URI).
  Status AddInput(InputKind kind);
  Status AddOutput(OutputKind kind);

  // Opens the format for `uri` after checking `options` against the kind; InvalidArgument for a
  // URI no kind owns (listing the known ones) or an option the kind does not take.
  StatusOr<std::unique_ptr<InputFormat>> OpenInput(const std::string& uri, const FormatOptions& options,
                                                   const rpc::JobSpec& job, Env* env) const;
  StatusOr<std::unique_ptr<OutputFormat>> OpenOutput(const std::string& uri, const FormatOptions& options,
                                                     const rpc::JobSpec& job, Env* env) const;

  // The option checks of OpenInput and OpenOutput alone, for the client before it submits. A URI
  // no kind owns passes: the coordinator reports it (and resolves `inline`).
  Status CheckJobOptions(const rpc::JobSpec& job) const;

  // Runs the preload hooks of the kinds that `job`'s input and output belong to.
  void Preload(const rpc::JobSpec& job) const;

  // `uri` for status output: without the secrets its kind knows of.
  std::string RedactUri(const std::string& uri) const;
  // `uri` as the client sends it (see KindBase::client_uri).
  std::string ClientUri(const std::string& uri) const;

  // "files:GLOB, mongodb://HOST:PORT/DB.COLL or seq:N/K".
  std::string InputUsage() const;
  std::string OutputUsage() const;

 private:
  std::vector<InputKind> inputs_;
  std::vector<OutputKind> outputs_;
};

// For registration functions: aborts, naming the clash, when a built-in kind could not be added
// (two claim one prefix: a mistake in the build, not in a job).
void CheckRegistered(const Status& status);

}  // namespace aviary

#endif  // AVIARY_STORAGE_REGISTRY_H_
