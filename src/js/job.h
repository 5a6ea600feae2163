// The `javascript` job: MongoDB mapReduce functions, run unchanged on SpiderMonkey.
//
// Params (--param NAME=VALUE):
//   map, reduce     the functions' source, as given to db.collection.mapReduce()
//   finalize        optional
//   scope           optional JSON object (Extended JSON allowed); its fields become globals
//   call_timeout_ms limit on one call of map, reduce or finalize (default 60000)
//   memory_mb       limit on the JavaScript heap, and on what one call may allocate (default 1024)
//
// In map, `this` is the document (for text input, {text: line}); emit(key, value) any number
// of times. Failures (a throw, a syntax error, a limit) fail the attempt with the function's
// name, the error and its line, and the document's _id or the key.
#ifndef AVIARY_JS_JOB_H_
#define AVIARY_JS_JOB_H_

#include <memory>
#include <string>
#include <vector>

#include "aviary/aviary.h"
#include "js/runtime.h"
#include "js/sum_reduce.h"
#include "js/to_bson.h"

namespace aviary::js {

class JavascriptJob final : public Job, private Emitter {
 public:
  JavascriptJob() = default;
  ~JavascriptJob() override;

  bool Setup(const Params& params, std::string* error) override;
  void Map(const Record& record, MapContext& ctx) override;
  Value Reduce(ValueView key, const Values& values) override;
  // Array.sum(values) adds doubles as kSumDoubles does: the engine sums them in place.
  Combiner combiner() const override { return sum_ == SumReduce::kArraySum ? Combiner::kSumDoubles : Combiner::kReduce; }
  // Always: it reduces what a bag still holds (bag.h), then runs the user's finalize if any.
  bool has_finalize() const override { return true; }
  Value Finalize(ValueView key, ValueView reduced) override;

 private:
  bool SetupOrFail(const Params& params, std::string* error);
  bool InstallScope(std::string_view json, std::string* error);
  bool Emit(JSContext* cx, JS::HandleValue key, JS::HandleValue value) override;
  bool MakeThis(const Record& record, JS::MutableHandleValue self);
  // The sum reduce would return, when `values` are all doubles; else false.
  bool NativeSum(const std::vector<ValueView>& values, double* sum) const;
  // Calls reduce on the values (two or more, or one with reduce_single); throws on failure.
  Value CallReduce(ValueView key, const std::vector<ValueView>& values);
  Value CallFinalize(ValueView key, ValueView value);
  // Encodes a function's result; throws on values that cannot be stored.
  Value Encode(std::string_view name, JS::HandleValue v, ValueView key);
  [[noreturn]] void Fail(std::string message);

  std::unique_ptr<Runtime> rt_;
  std::unique_ptr<JS::PersistentRootedValue> map_, reduce_, finalize_;
  MapContext* ctx_ = nullptr;  // during Map only; not owned
  std::string failure_;        // a failure inside emit (reduce as the combiner) that ends map
  std::unique_ptr<BsonEncoder> emit_encoder_, result_encoder_;
  std::string key_bytes_, value_bytes_, result_bytes_;
  std::vector<ValueView> flat_;
  SumReduce sum_ = SumReduce::kNone;  // reduce only adds its values up (sum_reduce.h)
  bool reduce_single_ = false;        // --param reduce_single: call reduce for one-value keys
  // Emits and reduce calls not yet added to the job's counters "emit" and "reduce" (map side
  // only: reduce-side calls have no context to count in).
  int64_t emits_ = 0, reduce_calls_ = 0;
};

}  // namespace aviary::js

#endif  // AVIARY_JS_JOB_H_
