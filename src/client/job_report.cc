#include "client/job_report.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "rpc/job_states.h"

namespace aviary::client {
namespace {

std::string HumanBytes(uint64_t bytes) {
  if (bytes >= (1ull << 30)) return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1ull << 30));
  if (bytes >= (1ull << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1ull << 20));
  if (bytes >= (1ull << 10)) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / (1ull << 10));
  return fmt::format("{} B", bytes);
}

// The engine counters that are not zero, one line each, in TaskCounters' order.
std::string DescribeCounters(const rpc::TaskCounters& c) {
  using google::protobuf::FieldDescriptor;
  std::string out;
  const auto* descriptor = rpc::TaskCounters::descriptor();
  const auto* reflection = rpc::TaskCounters::GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* f = descriptor->field(i);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
      if (const double v = reflection->GetDouble(c, f); v != 0) out += fmt::format("  counter {}: {:.2f}\n", f->name(), v);
    } else if (const uint64_t v = reflection->GetUInt64(c, f); v != 0) {
      out += fmt::format("  counter {}: {}\n", f->name(), v);
    }
  }
  return out;
}

std::string DescribeCounts(const rpc::MapReduceCounts& c) {
  return fmt::format("  counts: input {}, emit {}, reduce {}, output {}; timeMillis {} (map {} ms, shuffle {} ms, "
                     "reduce {} ms, commit {} ms)\n",
                     c.input(), c.emit(), c.reduce(), c.output(), c.time_millis(), c.map_millis(), c.shuffle_millis(),
                     c.reduce_millis(), c.commit_millis());
}

}  // namespace

std::string StateName(rpc::JobState state) {
  std::string name = rpc::JobState_Name(state);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

bool IsFinal(rpc::JobState state) { return rpc::IsEnded(state); }

std::string DescribeJob(const rpc::JobStatus& job, bool with_tasks) {
  std::string out = fmt::format("job {} ({}): {}\n", job.job_id(), job.spec().plugin(), StateName(job.state()));
  const double end = job.end_unix() > 0 ? job.end_unix()
                                        : std::chrono::duration<double>(
                                              std::chrono::system_clock::now().time_since_epoch()).count();
  out += fmt::format("  elapsed: {:.2f} s\n", end - job.submit_unix());
  out += fmt::format("  map tasks: {}/{} done, reduce tasks: {}/{} done\n", job.maps_done(), job.maps_total(),
                     job.reduces_done(), job.reduces_total());
  // While tasks run, what their attempts have read so far; at the end, the winners' totals.
  const bool ended = IsFinal(job.state());
  const rpc::TaskCounters& counters = ended ? job.totals() : job.progress();
  if (ended) {
    out += fmt::format("  input: {} ({} records, {})\n", job.spec().input_uri(), job.input_records(),
                       HumanBytes(job.input_bytes()));
  } else {
    out += fmt::format("  input: {} ({} records read so far, {})\n", job.spec().input_uri(),
                       std::max(job.input_records(), counters.input_records()),
                       HumanBytes(std::max(job.input_bytes(), counters.input_bytes())));
  }
  if (!job.spec().input_consistency().empty()) out += "  input read at: " + job.spec().input_consistency() + "\n";
  out += fmt::format("  output: {} ({} records)\n", job.output_location(), job.output_records());
  if (ended) out += DescribeCounts(job.counts());
  out += DescribeCounters(counters);
  for (const rpc::Counter& c : job.counters()) out += fmt::format("  counter {}: {}\n", c.name(), c.value());
  for (const rpc::ShardReport& s : job.shards()) {
    out += fmt::format("  shard {}: {} documents read, {} orphans skipped, {}, {} map tasks on {}, {}\n", s.shard(),
                       s.documents_read(), s.orphans_skipped(), HumanBytes(s.bytes()), s.map_tasks(),
                       fmt::join(s.workers(), ","), s.all_local() ? "read locally" : "read remotely");
  }
  if (!job.error().empty()) out += "  error: " + job.error() + "\n";
  if (!with_tasks) return out;
  for (const rpc::TaskStatus& t : job.tasks()) {
    out += fmt::format("  {} {} [{}] {}\n", t.kind() == rpc::MAP ? "map" : "reduce", t.task(),
                       rpc::TaskState_Name(t.state()), t.input());
    for (const rpc::AttemptStatus& a : t.attempts()) {
      const std::string carried =
          a.carried() ? fmt::format(" (carried by map task {} attempt {})", a.carried_by_task(), a.carried_by_attempt()) : "";
      out += fmt::format("    attempt {} on {} ({}): {}{}{}{}\n", a.attempt(), a.worker_id(), a.worker_address(),
                         a.state(), carried, a.error().empty() ? "" : ": ", a.error());
    }
  }
  return out;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

}  // namespace aviary::client
