#include "client/submission.h"

#include <string_view>

#include "client/plugin_check.h"
#include "common/env.h"
#include "plugin/plugin.h"
#include "rpc/utf8.h"
#include "storage/registry.h"

namespace aviary::client {
namespace {

// What the built-in javascript job reads (src/js/job.cc, docs/javascript.md): a misspelt name,
// say reduce_singel, would otherwise be ignored without a word.
constexpr std::string_view kJavascriptParams[] = {"map", "reduce", "finalize", "scope", "call_timeout_ms", "memory_mb",
                                                  "reduce_single"};

Status CheckJavascriptParams(const rpc::JobSpec& spec) {
  for (const auto& [name, value] : spec.params()) {
    bool known = false;
    for (std::string_view p : kJavascriptParams) known = known || p == name;
    if (!known) {
      return InvalidArgument("--param " + name + ": the javascript job has no such parameter (it takes map, reduce, "
                             "finalize, scope, call_timeout_ms, memory_mb and reduce_single)");
    }
  }
  return Status::OK();
}

}  // namespace

StatusOr<rpc::SubmitJobRequest> BuildSubmission(const JobOptions& flags) {
  rpc::SubmitJobRequest request;
  rpc::JobSpec& spec = *request.mutable_job();
  ASSIGN_OR_RETURN(std::string plugin_path, ResolvePlugin(flags.job));
  RETURN_IF_ERROR(ReadFileToString(Env::Default(), plugin_path, request.mutable_plugin_library()));
  const bool builtin = flags.job.find('/') == std::string::npos && !flags.job.ends_with(".so");
  // Check a user's library here so that one that is not a plugin fails before anything is
  // submitted; in a child process, since loading runs the library's code. A built-in ships in
  // lib/aviary beside this binary, from the same build, and is named after its job: it is not
  // checked again on every submission (a process start, 17 ms of CPU while the cluster starts).
  std::string name = flags.job;
  if (!builtin) {
    ASSIGN_OR_RETURN(name, CheckPluginInChild(plugin_path));
  }
  spec.set_plugin(builtin ? flags.job : plugin_path);
  spec.set_name(name);
  ASSIGN_OR_RETURN(std::string sha256, Sha256File(plugin_path));
  spec.set_plugin_sha256(sha256);
  if (flags.input.empty()) return InvalidArgument("--input is required");
  if (flags.output.empty()) return InvalidArgument("--output is required");
  // Each kind makes its URI mean on the cluster what it means here (files: paths become absolute).
  const FormatRegistry& formats = FormatRegistry::Default();
  spec.set_input_uri(formats.ClientUri(flags.input));
  spec.set_output_uri(formats.ClientUri(flags.output));
  spec.set_map_tasks(flags.map_tasks);
  spec.set_reduce_tasks(flags.reduce_tasks);
  for (const std::string& p : flags.params) {
    const size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) return InvalidArgument("--param '" + p + "' is not of the form name=value");
    (*spec.mutable_params())[p.substr(0, eq)] = p.substr(eq + 1);
  }
  if (spec.plugin() == "javascript") RETURN_IF_ERROR(CheckJavascriptParams(spec));
  *spec.mutable_input_options() = {flags.input_options.begin(), flags.input_options.end()};
  *spec.mutable_output_options() = {flags.output_options.begin(), flags.output_options.end()};
  // `inline` is no URI kind (the coordinator turns it into its spool), so no kind checks these.
  if (spec.output_uri() == "inline" && !flags.output_options.empty()) {
    return InvalidArgument("--output inline does not take --" + flags.output_options.begin()->first +
                           " (the result is returned, not written to a collection)");
  }
  RETURN_IF_ERROR(formats.CheckJobOptions(spec));
  spec.set_overwrite(flags.overwrite);
  spec.set_max_attempts(flags.max_attempts);
  spec.set_skip_bad_records(flags.skip_bad_records);
  // The coordinator could not even parse a request with such a field: say which one here.
  RETURN_IF_ERROR(rpc::CheckUtf8(spec).WithContext("the job cannot be submitted"));
  return request;
}

}  // namespace aviary::client
