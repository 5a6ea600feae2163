// Reduce parallelism probe: map emits ten keys; the first Finalize of each reduce attempt waits a
// second and returns how many reduce processes were active at once.
#include <string>

#include "aviary/aviary.h"
#include "timing_common.h"

class ReduceTiming : public aviary::Job {
 public:
  bool Setup(const aviary::Params& params, std::string* error) override {
    dir_ = std::string(params.Get("dir"));
    if (dir_.empty()) *error = "--param dir=DIR is required";
    return !dir_.empty();
  }
  void Map(const aviary::Record&, aviary::MapContext& ctx) override {
    for (char c = 'a'; c <= 'j'; ++c) ctx.Emit(std::string_view(&c, 1), 1);
  }
  aviary::Combiner combiner() const override { return aviary::Combiner::kSum; }
  aviary::Value Reduce(aviary::ValueView, const aviary::Values& values) override {
    int64_t sum = 0;
    for (auto v : values) sum += v.as_int();
    return aviary::Value::Int64(sum);
  }
  bool has_finalize() const override { return true; }
  aviary::Value Finalize(aviary::ValueView, aviary::ValueView) override {
    if (probed_) return aviary::Value::Int64(0);
    probed_ = true;
    return aviary::Value::Int64(CountConcurrent(dir_, "reduce-"));
  }

 private:
  std::string dir_;
  bool probed_ = false;
};

AVIARY_PLUGIN(ReduceTiming, "rtiming", "test: measures reduce parallelism")
