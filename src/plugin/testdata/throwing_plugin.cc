// A plugin whose job constructor throws: NewJob() must turn that into a status.
#include <stdexcept>

#include "aviary/aviary.h"

namespace {
class Throwing : public aviary::Job {
 public:
  Throwing() { throw std::runtime_error("constructor exploded"); }
  void Map(const aviary::Record&, aviary::MapContext&) override {}
  aviary::Value Reduce(aviary::ValueView, const aviary::Values&) override { return {}; }
};
}  // namespace

AVIARY_PLUGIN(Throwing, "throwing", "throws in its constructor")
