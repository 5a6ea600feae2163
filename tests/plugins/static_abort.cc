// A plugin whose static constructor aborts: loading it, to check it, must not kill the client.
#include <cstdlib>

#include "aviary/aviary.h"

namespace {
const int kNeverSet = (std::abort(), 0);
}  // namespace

class NeverLoads : public aviary::Job {
 public:
  void Map(const aviary::Record&, aviary::MapContext&) override {}
  aviary::Value Reduce(aviary::ValueView, const aviary::Values&) override { return aviary::Value::Int64(kNeverSet); }
};

AVIARY_PLUGIN(NeverLoads, "static_abort", "test: aborts in a static constructor")
