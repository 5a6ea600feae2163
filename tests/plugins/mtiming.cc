// Map parallelism probe: the first Map call of each attempt waits a second and records how many
// map processes were active at once. Output key "parallel" holds the largest count seen.
#include <algorithm>
#include <string>

#include "aviary/aviary.h"
#include "timing_common.h"

class MapTiming : public aviary::Job {
 public:
  bool Setup(const aviary::Params& params, std::string* error) override {
    dir_ = std::string(params.Get("dir"));
    if (dir_.empty()) *error = "--param dir=DIR is required";
    return !dir_.empty();
  }
  void Map(const aviary::Record&, aviary::MapContext& ctx) override {
    if (probed_) return;
    probed_ = true;
    ctx.Emit("parallel", CountConcurrent(dir_, "map-"));
  }
  aviary::Value Reduce(aviary::ValueView, const aviary::Values& values) override {
    int64_t most = 0;
    for (auto v : values) most = std::max(most, v.as_int());
    return aviary::Value::Int64(most);
  }

 private:
  std::string dir_;
  bool probed_ = false;
};

AVIARY_PLUGIN(MapTiming, "mtiming", "test: measures map parallelism")
