// InputFormat::ForJob and OutputFormat::ForJob: pick the format by the URI's scheme.
#include <string>
#include <string_view>
#include <utility>

#include "storage/files/files_input.h"
#include "storage/files/files_output.h"
#include "storage/input.h"
#include "storage/mongo/mongo_input.h"
#include "storage/mongo/mongo_output.h"
#include "storage/output.h"

namespace aviary {
namespace {

constexpr std::string_view kFilesScheme = "files:";

bool IsMongoUri(std::string_view uri) { return uri.starts_with("mongodb://") || uri.starts_with("mongodb+srv://"); }

// Workers and coordinators have their own working directories; `aviary submit` and `run` send
// absolute paths, so a relative one comes from another client and would land somewhere unexpected.
std::string RelativePathError(std::string_view what, std::string_view path) {
  return std::string(what) + " path '" + std::string(path) +
         "' is relative: files: URIs must be absolute on the cluster (aviary submit makes them so)";
}

}  // namespace

StatusOr<std::unique_ptr<InputFormat>> InputFormat::ForJob(const rpc::JobSpec& job, Env* env) {
  const std::string& uri = job.input_uri();
  if (uri.starts_with(kFilesScheme)) {
    std::string glob = uri.substr(kFilesScheme.size());
    if (glob.empty()) return InvalidArgument("input URI 'files:' names no files: expected files:GLOB, e.g. files:/data/*.txt");
    if (glob[0] != '/') return InvalidArgument(RelativePathError("input", glob));
    FilesInputOptions options;
    if (!job.text_field().empty()) options.text_field = job.text_field();
    options.skip_bad_records = job.skip_bad_records();
    return NewFilesInput(std::move(glob), std::move(options), env);
  }
  if (IsMongoUri(uri)) {
    mongo::MongoInputOptions options;
    if (!job.text_field().empty()) options.text_field = job.text_field();
    options.query_json = job.query_json();
    return mongo::NewMongoInput(uri, std::move(options));
  }
  return InvalidArgument("unsupported input URI '" + uri + "': expected files:GLOB or mongodb://HOST:PORT/DB.COLL");
}

StatusOr<std::unique_ptr<OutputFormat>> OutputFormat::ForJob(const rpc::JobSpec& job, Env* env) {
  const std::string& uri = job.output_uri();
  if (uri.starts_with(kFilesScheme)) {
    std::string dir = uri.substr(kFilesScheme.size());
    if (dir.empty()) return InvalidArgument("output URI 'files:' names no directory: expected files:DIR");
    if (dir[0] != '/') return InvalidArgument(RelativePathError("output", dir));
    return NewFilesOutput(std::move(dir), job.overwrite(), env);
  }
  if (IsMongoUri(uri)) {
    mongo::MongoOutputOptions options;
    if (!job.out_mode().empty()) options.out_mode = job.out_mode();
    return mongo::NewMongoOutput(uri, std::move(options));
  }
  return InvalidArgument("unsupported output URI '" + uri + "': expected files:DIR or mongodb://HOST:PORT/DB.COLL");
}

}  // namespace aviary
