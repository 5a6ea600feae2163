#include "storage/registry.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace aviary {
namespace {

// The kind owning `uri`: the one with the longest matching prefix.
template <typename Kind>
const Kind* FindKind(const std::vector<Kind>& kinds, std::string_view uri, size_t* prefix_size) {
  const Kind* found = nullptr;
  *prefix_size = 0;
  for (const Kind& kind : kinds) {
    for (const std::string& prefix : kind.prefixes) {
      if (uri.starts_with(prefix) && (found == nullptr || prefix.size() > *prefix_size)) {
        found = &kind;
        *prefix_size = prefix.size();
      }
    }
  }
  return found;
}

template <typename Kind>
std::string Usage(const std::vector<Kind>& kinds) {
  std::string s;
  for (size_t i = 0; i < kinds.size(); ++i) {
    if (i > 0) s += i + 1 == kinds.size() ? " or " : ", ";
    s += kinds[i].usage;
  }
  return s;
}

template <typename Kind>
Status AddKind(std::vector<Kind>* kinds, Kind kind, std::string_view what) {
  for (const std::string& prefix : kind.prefixes) {
    size_t unused;
    const Kind* other = FindKind(*kinds, prefix, &unused);
    if (other != nullptr && unused == prefix.size()) {
      return InvalidArgument(std::string(what) + " prefix '" + prefix + "' of " + kind.name + " is taken by " + other->name);
    }
  }
  kinds->push_back(std::move(kind));
  return Status::OK();
}

// Only options the user gave reach a kind, so any name it does not list is a mistake to report.
Status CheckOptions(const KindBase& kind, std::string_view what, const FormatOptions& options) {
  for (const auto& [name, value] : options) {
    bool known = false;
    for (const std::string& taken : kind.options) known = known || taken == name;
    if (!known) return InvalidArgument(kind.name + ": " + std::string(what) + " does not take --" + name);
  }
  return kind.check_options ? kind.check_options(options) : Status::OK();
}

template <typename Kind>
std::string Apply(const std::vector<Kind>& kinds, const std::string& uri,
                  std::function<std::string(const std::string&)> KindBase::*hook) {
  size_t unused;
  const Kind* kind = FindKind(kinds, uri, &unused);
  return kind != nullptr && kind->*hook ? (kind->*hook)(uri) : uri;
}

}  // namespace

Status FormatRegistry::AddInput(InputKind kind) { return AddKind(&inputs_, std::move(kind), "input"); }
Status FormatRegistry::AddOutput(OutputKind kind) { return AddKind(&outputs_, std::move(kind), "output"); }

StatusOr<std::unique_ptr<InputFormat>> FormatRegistry::OpenInput(const std::string& uri, const FormatOptions& options,
                                                                 const rpc::JobSpec& job, Env* env) const {
  size_t prefix = 0;
  const InputKind* kind = FindKind(inputs_, uri, &prefix);
  if (kind == nullptr) return InvalidArgument("unsupported input URI '" + uri + "': expected " + InputUsage());
  RETURN_IF_ERROR(CheckOptions(*kind, "input", options));
  return kind->open(FormatArgs{uri, std::string_view(uri).substr(prefix), options, job, env});
}

StatusOr<std::unique_ptr<OutputFormat>> FormatRegistry::OpenOutput(const std::string& uri, const FormatOptions& options,
                                                                   const rpc::JobSpec& job, Env* env) const {
  size_t prefix = 0;
  const OutputKind* kind = FindKind(outputs_, uri, &prefix);
  if (kind == nullptr) return InvalidArgument("unsupported output URI '" + uri + "': expected " + OutputUsage());
  RETURN_IF_ERROR(CheckOptions(*kind, "output", options));
  return kind->open(FormatArgs{uri, std::string_view(uri).substr(prefix), options, job, env});
}

Status FormatRegistry::CheckJobOptions(const rpc::JobSpec& job) const {
  size_t unused;
  if (const InputKind* in = FindKind(inputs_, job.input_uri(), &unused)) {
    RETURN_IF_ERROR(CheckOptions(*in, "input", job.input_options()));
  }
  if (const OutputKind* out = FindKind(outputs_, job.output_uri(), &unused)) {
    RETURN_IF_ERROR(CheckOptions(*out, "output", job.output_options()));
  }
  return Status::OK();
}

void FormatRegistry::Preload(const rpc::JobSpec& job) const {
  size_t unused = 0;
  const InputKind* in = FindKind(inputs_, job.input_uri(), &unused);
  if (in != nullptr && in->preload) in->preload();
  const OutputKind* out = FindKind(outputs_, job.output_uri(), &unused);
  if (out != nullptr && out->preload) out->preload();
}

std::string FormatRegistry::RedactUri(const std::string& uri) const {
  std::string redacted = Apply(inputs_, uri, &KindBase::redact);
  return redacted != uri ? redacted : Apply(outputs_, uri, &KindBase::redact);
}

std::string FormatRegistry::ClientUri(const std::string& uri) const {
  std::string resolved = Apply(inputs_, uri, &KindBase::client_uri);
  return resolved != uri ? resolved : Apply(outputs_, uri, &KindBase::client_uri);
}

std::string FormatRegistry::InputUsage() const { return Usage(inputs_); }
std::string FormatRegistry::OutputUsage() const { return Usage(outputs_); }

void CheckRegistered(const Status& status) {
  if (status.ok()) return;
  std::fprintf(stderr, "aviary: registering a built-in source or sink: %s\n", status.message().c_str());
  std::abort();
}

}  // namespace aviary
