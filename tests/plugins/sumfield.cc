// Sums a numeric field per key, MongoDB's `emit(this.key, this.value)` with a summing reduce:
// the key is the document's value at --param key=PATH as it is (any BSON type; missing is null),
// the value the number at --param value=PATH (missing: 1). --param finalize=times10 multiplies
// each final value by 10 (a finalize that returns a number); --param big=BYTES emits a string
// value of that many bytes instead (for size limits).
#include <cstdint>
#include <string>

#include "aviary/aviary.h"

namespace {

using aviary::Value;
using aviary::ValueView;

class SumField : public aviary::Job {
 public:
  bool Setup(const aviary::Params& params, std::string* error) override {
    key_ = params.Get("key", "key");
    value_ = params.Get("value", "value");
    times10_ = params.Get("finalize") == "times10";
    big_ = std::stoull(std::string(params.Get("big", "0")));
    (void)error;
    return true;
  }

  void Map(const aviary::Record& record, aviary::MapContext& ctx) override {
    if (record.document() == nullptr) return;
    const aviary::DocumentView& doc = *record.document();
    const ValueView key = doc.GetPath(key_).value_or(ValueView::Null());
    if (big_ > 0) {
      const std::string filler(big_, 'x');
      ctx.Emit(key, ValueView::String(filler));
      return;
    }
    const std::optional<ValueView> v = doc.GetPath(value_);
    if (v && v->is_number()) {
      ctx.Emit(key, *v);
    } else {
      ctx.Emit(key, 1);
    }
  }

  // Integer sums stay integers; a double anywhere makes the sum a double, as in JavaScript.
  Value Reduce(ValueView, const aviary::Values& values) override {
    if (big_ > 0) return Value(values[0]);
    int64_t sum = 0;
    double dsum = 0;
    bool is_double = false;
    for (ValueView v : values) {
      is_double = is_double || v.type() == aviary::Type::kDouble;
      sum += v.as_int();
      dsum += v.as_double();
    }
    return is_double ? Value::Double(dsum) : Value::Int64(sum);
  }

  bool has_finalize() const override { return times10_; }
  Value Finalize(ValueView, ValueView reduced) override {
    if (reduced.type() == aviary::Type::kDouble) return Value::Double(reduced.as_double() * 10);
    return Value::Int64(reduced.as_int() * 10);
  }

 private:
  std::string key_, value_;
  bool times10_ = false;
  uint64_t big_ = 0;
};

}  // namespace

AVIARY_PLUGIN(SumField, "sumfield", "sums --param value per --param key, keys of any BSON type")
