// A test plugin for the seq: source: the count and the sum of the numbers its records hold.
#include <charconv>
#include <cstdint>

#include "aviary/aviary.h"

namespace {

class SeqSum : public aviary::Job {
 public:
  void Map(const aviary::Record& record, aviary::MapContext& ctx) override {
    int64_t n = 0;
    const std::string_view text = record.text();
    std::from_chars(text.data(), text.data() + text.size(), n);
    ctx.Emit("count", int64_t{1});
    ctx.Emit("sum", n);
  }

  aviary::Value Reduce(aviary::ValueView /*key*/, const aviary::Values& values) override {
    int64_t sum = 0;
    for (aviary::ValueView v : values) sum += v.as_int();
    return aviary::Value::Int64(sum);
  }

  aviary::Combiner combiner() const override { return aviary::Combiner::kSum; }
};

}  // namespace

AVIARY_PLUGIN(SeqSum, "seq_sum", "count and sum of the numbers in the input")
