// scan: reads every record, looks at its text, and emits nothing: a map-only scan that measures
// what the engine costs on top of reading its input. The job status reports the records and
// bytes read (input_records, input_bytes).
#include <cstdint>

#include "aviary/aviary.h"

namespace {

class Scan : public aviary::Job {
 public:
  void Map(const aviary::Record& record, aviary::MapContext&) override {
    text_bytes_ = text_bytes_ + record.text().size();  // what mongo_scan does with each document
  }
  aviary::Value Reduce(aviary::ValueView, const aviary::Values& values) override { return aviary::Value(values[0]); }

 private:
  volatile uint64_t text_bytes_ = 0;
};

}  // namespace

AVIARY_PLUGIN(Scan, "scan", "read every record and emit nothing (benchmark)")
