// Registers the files: source and sink, and the coordinator's inline spool (a files: sink in a
// directory of the coordinator, read back by Coordinator.ReadOutput).
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "storage/files/files_input.h"
#include "storage/files/files_output.h"
#include "storage/registry.h"

namespace aviary {
namespace {

constexpr std::string_view kFilesScheme = "files:";

// Workers and coordinators have their own working directories; `aviary submit` and `run` send
// absolute paths, so a relative one comes from another client and would land somewhere unexpected.
std::string RelativePathError(std::string_view what, std::string_view path) {
  return std::string(what) + " path '" + std::string(path) +
         "' is relative: files: URIs must be absolute on the cluster (aviary submit makes them so)";
}

// Daemons run in other directories (and on other hosts), so a relative files: path means the
// client's working directory and is sent absolute.
std::string AbsoluteFilesUri(const std::string& uri) {
  if (uri.size() == kFilesScheme.size() || uri[kFilesScheme.size()] == '/') return uri;
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(uri.substr(kFilesScheme.size()), ec);
  return ec ? uri : std::string(kFilesScheme) + abs.lexically_normal().string();
}

StatusOr<std::unique_ptr<InputFormat>> OpenFilesInput(const FormatArgs& args) {
  std::string glob(args.rest);
  if (glob.empty()) return InvalidArgument("input URI 'files:' names no files: expected files:GLOB, e.g. files:/data/*.txt");
  if (glob[0] != '/') return InvalidArgument(RelativePathError("input", glob));
  FilesInputOptions options;
  if (auto it = args.options.find("field"); it != args.options.end() && !it->second.empty()) options.text_field = it->second;
  options.skip_bad_records = args.job.skip_bad_records();
  return NewFilesInput(std::move(glob), std::move(options), args.env);
}

StatusOr<std::unique_ptr<OutputFormat>> OpenFilesOutput(const FormatArgs& args) {
  std::string dir(args.rest);
  if (dir.empty()) return InvalidArgument("output URI 'files:' names no directory: expected files:DIR");
  if (dir[0] != '/') return InvalidArgument(RelativePathError("output", dir));
  return NewFilesOutput(std::move(dir), args.job.overwrite(), args.env);
}

// `inline:DIR` is what the coordinator makes of `--output inline`: its own spool directory.
StatusOr<std::unique_ptr<OutputFormat>> OpenInlineSpool(const FormatArgs& args) {
  if (args.rest.empty() || args.rest[0] != '/') return InvalidArgument("the inline spool needs an absolute directory");
  return NewFilesOutput(std::string(args.rest), /*overwrite=*/false, args.env);
}

}  // namespace

void RegisterFilesFormats(FormatRegistry& registry) {
  InputKind in;
  in.name = "files";
  in.prefixes = {std::string(kFilesScheme)};
  in.usage = "files:GLOB";
  in.options = {"field"};
  in.client_uri = AbsoluteFilesUri;
  in.open = OpenFilesInput;
  CheckRegistered(registry.AddInput(std::move(in)));

  OutputKind out;
  out.name = "files";
  out.prefixes = {std::string(kFilesScheme)};
  out.usage = "files:DIR";
  out.client_uri = AbsoluteFilesUri;
  out.open = OpenFilesOutput;
  CheckRegistered(registry.AddOutput(std::move(out)));

  OutputKind spool;
  spool.name = "inline";
  spool.prefixes = {"inline:"};
  spool.usage = "inline";
  spool.open = OpenInlineSpool;
  CheckRegistered(registry.AddOutput(std::move(spool)));
}

}  // namespace aviary
