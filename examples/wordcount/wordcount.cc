// wordcount: how often each word occurs. A word is a maximal run of ASCII letters, case kept.
//
// Emits (word, 1) per occurrence; the kSum combiner adds the counts up in place on the map side,
// and the reduce side adds the map tasks' partial sums the same way: Reduce is never called.
#include <cstdint>

#include "../tokenizer.h"
#include "aviary/aviary.h"

namespace {

class WordCount : public aviary::Job {
 public:
  void Map(const aviary::Record& record, aviary::MapContext& ctx) override {
    aviary_examples::ForEachWord(record.text(), [&ctx](std::string_view word) { ctx.Emit(word, int64_t{1}); });
  }

  aviary::Value Reduce(aviary::ValueView /*word*/, const aviary::Values& counts) override {
    int64_t sum = 0;
    for (aviary::ValueView count : counts) sum += count.as_int();
    return aviary::Value::Int64(sum);
  }

  aviary::Combiner combiner() const override { return aviary::Combiner::kSum; }
  // '\n' and '\r' are not letters: many lines at once give the same words as one at a time.
  bool map_takes_line_blocks() const override { return true; }
};

}  // namespace

AVIARY_PLUGIN(WordCount, "wordcount", "count the occurrences of each word (runs of ASCII letters)")
