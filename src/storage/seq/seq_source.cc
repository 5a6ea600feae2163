// The seq: source, a test fixture and the smallest example of a source: `seq:N/K` yields the
// integers 0..N-1 as text records ("0", "1", ...), cut into K contiguous splits (K defaults to the
// job's --map-tasks, else 1; never more splits than numbers). Its payload is "FIRST,END".
#include <algorithm>
#include <charconv>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "storage/registry.h"

namespace aviary {
namespace {

bool ParseCount(std::string_view text, uint64_t* value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

class SeqInput : public InputFormat {
 public:
  SeqInput(uint64_t count, uint64_t splits) : count_(count), splits_(splits) {}

  StatusOr<std::vector<rpc::InputSplit>> PlanSplits(const PlanContext& context) override {
    uint64_t k = splits_ != 0 ? splits_ : std::max<uint64_t>(1, context.map_tasks);
    k = std::min(k, count_);
    std::vector<rpc::InputSplit> splits(k);
    for (uint64_t i = 0; i < k; ++i) {
      const uint64_t first = count_ * i / k, end = count_ * (i + 1) / k;
      splits[i].set_payload(std::to_string(first) + "," + std::to_string(end));
      splits[i].set_description("seq " + std::to_string(first) + ".." + std::to_string(end - 1));
      splits[i].set_estimated_bytes(end - first);
    }
    return splits;
  }

  Status ReadSplit(const rpc::InputSplit& split, RecordSink* sink, InputStats* stats) override {
    const std::string_view payload = split.payload();
    const size_t comma = payload.find(',');
    uint64_t first = 0, end = 0;
    if (comma == std::string_view::npos || !ParseCount(payload.substr(0, comma), &first) ||
        !ParseCount(payload.substr(comma + 1), &end)) {
      return InvalidArgument("seq: split carries a malformed payload '" + std::string(payload) + "'");
    }
    RecordSource source;
    for (uint64_t n = first; n < end; ++n) {
      const std::string text = std::to_string(n);
      source.offset = n;
      ++stats->records;
      stats->bytes += text.size();
      if (!sink->OnRecord(Record(text, nullptr, source))) return sink->status();
    }
    return Status::OK();
  }

 private:
  const uint64_t count_;
  const uint64_t splits_;  // 0: as the job asks
};

StatusOr<std::unique_ptr<InputFormat>> OpenSeq(const FormatArgs& args) {
  const size_t slash = args.rest.find('/');
  uint64_t count = 0, splits = 0;
  if (!ParseCount(args.rest.substr(0, slash), &count) ||
      (slash != std::string_view::npos && (!ParseCount(args.rest.substr(slash + 1), &splits) || splits == 0))) {
    return InvalidArgument("input URI '" + args.uri + "' is not seq:N or seq:N/K (N numbers in K > 0 splits)");
  }
  return std::unique_ptr<InputFormat>(new SeqInput(count, splits));
}

}  // namespace

void RegisterSeqFormats(FormatRegistry& registry) {
  InputKind seq;
  seq.name = "seq";
  seq.prefixes = {"seq:"};
  seq.usage = "seq:N/K";
  seq.open = OpenSeq;
  CheckRegistered(registry.AddInput(std::move(seq)));
}

}  // namespace aviary
