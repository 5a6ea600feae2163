// The default registry and the ForJob / ForSplit entry points that use it.
#include "storage/input.h"
#include "storage/output.h"
#include "storage/registry.h"

namespace aviary {

// Defined in the file src/storage/CMakeLists.txt generates from its aviary_format_kind() lines.
void RegisterBuiltinFormats(FormatRegistry& registry);

const FormatRegistry& FormatRegistry::Default() {
  static const FormatRegistry* const registry = [] {
    auto* r = new FormatRegistry();  // never destroyed: formats may be opened until exit
    RegisterBuiltinFormats(*r);
    return r;
  }();
  return *registry;
}

StatusOr<std::unique_ptr<InputFormat>> InputFormat::ForJob(const rpc::JobSpec& job, Env* env) {
  return FormatRegistry::Default().OpenInput(job.input_uri(), job.input_options(), job, env);
}

StatusOr<std::unique_ptr<InputFormat>> InputFormat::ForSplit(const rpc::JobSpec& job, const rpc::InputSplit& split,
                                                             Env* env) {
  if (split.source_uri().empty()) return ForJob(job, env);
  return FormatRegistry::Default().OpenInput(split.source_uri(), FormatOptions(), job, env);
}

StatusOr<std::unique_ptr<OutputFormat>> OutputFormat::ForJob(const rpc::JobSpec& job, Env* env) {
  return FormatRegistry::Default().OpenOutput(job.output_uri(), job.output_options(), job, env);
}

}  // namespace aviary
