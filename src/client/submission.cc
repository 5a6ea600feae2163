#include "client/submission.h"

#include <filesystem>

#include "common/env.h"
#include "plugin/plugin.h"

namespace aviary::client {

// Daemons run in other directories (and on other hosts), so a relative files: path means the
// client's working directory and is sent absolute.
std::string AbsoluteFilesUri(const std::string& uri) {
  constexpr std::string_view kScheme = "files:";
  if (!uri.starts_with(kScheme) || uri.size() == kScheme.size() || uri[kScheme.size()] == '/') return uri;
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(uri.substr(kScheme.size()), ec);
  return ec ? uri : std::string(kScheme) + abs.lexically_normal().string();
}

StatusOr<rpc::SubmitJobRequest> BuildSubmission(const JobOptions& flags) {
  rpc::SubmitJobRequest request;
  rpc::JobSpec& spec = *request.mutable_job();
  ASSIGN_OR_RETURN(std::string plugin_path, ResolvePlugin(flags.job));
  RETURN_IF_ERROR(ReadFileToString(Env::Default(), plugin_path, request.mutable_plugin_library()));
  // Load it here so a library that is not a plugin fails before anything is submitted.
  ASSIGN_OR_RETURN(auto plugin, Plugin::Open(plugin_path));
  const bool builtin = flags.job.find('/') == std::string::npos && !flags.job.ends_with(".so");
  spec.set_plugin(builtin ? flags.job : plugin_path);
  spec.set_name(std::string(plugin->name()));
  ASSIGN_OR_RETURN(std::string sha256, Sha256File(plugin_path));
  spec.set_plugin_sha256(sha256);
  if (flags.input.empty()) return InvalidArgument("--input is required");
  if (flags.output.empty()) return InvalidArgument("--output is required");
  spec.set_input_uri(AbsoluteFilesUri(flags.input));
  spec.set_output_uri(AbsoluteFilesUri(flags.output));
  spec.set_map_tasks(flags.map_tasks);
  spec.set_reduce_tasks(flags.reduce_tasks);
  for (const std::string& p : flags.params) {
    const size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) return InvalidArgument("--param '" + p + "' is not of the form name=value");
    (*spec.mutable_params())[p.substr(0, eq)] = p.substr(eq + 1);
  }
  spec.set_text_field(flags.field);
  spec.set_query_json(flags.query);
  if (flags.out_mode != "replace" && flags.out_mode != "merge" && flags.out_mode != "reduce") {
    return InvalidArgument("--out-mode must be replace, merge or reduce, not '" + flags.out_mode + "'");
  }
  spec.set_out_mode(flags.out_mode);
  spec.set_overwrite(flags.overwrite);
  spec.set_max_attempts(flags.max_attempts);
  spec.set_skip_bad_records(flags.skip_bad_records);
  return request;
}

}  // namespace aviary::client
