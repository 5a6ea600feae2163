// Registers the MongoDB source and sink for mongodb:// and mongodb+srv:// URIs.
#include <string>
#include <utility>

#include "storage/mongo/mongo_client.h"
#include "storage/mongo/mongo_input.h"
#include "storage/mongo/mongo_output.h"
#include "storage/registry.h"

namespace aviary {
namespace {

const char* const kPrefixes[] = {"mongodb://", "mongodb+srv://"};
constexpr char kUsage[] = "mongodb://HOST:PORT/DB.COLL";

std::string Option(const FormatArgs& args, const std::string& name) {
  auto it = args.options.find(name);
  return it == args.options.end() ? std::string() : it->second;
}

mongo::MongoInputOptions InputOptions(const FormatOptions& given) {
  auto get = [&given](const std::string& name) {
    auto it = given.find(name);
    return it == given.end() ? std::string() : it->second;
  };
  mongo::MongoInputOptions options;
  if (std::string field = get("field"); !field.empty()) options.text_field = std::move(field);
  options.query_json = get("query");
  options.sort_json = get("sort");
  options.limit = get("limit");
  return options;
}

StatusOr<std::unique_ptr<InputFormat>> OpenMongoInput(const FormatArgs& args) {
  return mongo::NewMongoInput(args.uri, InputOptions(args.options));
}

Status CheckInputOptions(const FormatOptions& options) { return mongo::CheckMongoInputOptions(InputOptions(options)); }

StatusOr<std::unique_ptr<OutputFormat>> OpenMongoOutput(const FormatArgs& args) {
  mongo::MongoOutputOptions options;
  if (std::string mode = Option(args, "out-mode"); !mode.empty()) options.out_mode = std::move(mode);
  return mongo::NewMongoOutput(args.uri, std::move(options));
}

Status CheckOutputOptions(const FormatOptions& options) {
  auto it = options.find("out-mode");
  return it == options.end() ? Status::OK() : mongo::CheckOutMode(it->second);
}

template <typename Kind>
Kind MongoKind(std::vector<std::string> options) {
  Kind kind;
  kind.name = "mongodb";
  kind.prefixes.assign(std::begin(kPrefixes), std::end(kPrefixes));
  kind.usage = kUsage;
  kind.options = std::move(options);
  kind.redact = mongo::RedactUri;  // status is shown to anyone who can ask: never the passwords
  kind.preload = mongo::InitDriver;  // in the `aviary` binary, the driver is loaded on first use
  return kind;
}

}  // namespace

void RegisterMongoFormats(FormatRegistry& registry) {
  InputKind in = MongoKind<InputKind>({"field", "query", "sort", "limit"});
  in.check_options = CheckInputOptions;
  in.open = OpenMongoInput;
  CheckRegistered(registry.AddInput(std::move(in)));

  OutputKind out = MongoKind<OutputKind>({"out-mode"});
  out.check_options = CheckOutputOptions;
  out.open = OpenMongoOutput;
  CheckRegistered(registry.AddOutput(std::move(out)));
}

}  // namespace aviary
