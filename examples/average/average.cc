// average: the mean of a numeric value per key. The complete example of docs/plugin-api.md.
//
// Input: JSON documents (files:*.jsonl or MongoDB), reading the fields named by
//   --param key=FIELD (default "key") and --param value=FIELD (default "value"), dotted paths
//   allowed; or text lines "KEY NUMBER" (the first and last blank-separated words).
// Output: {_id: key, value: mean} per key.
//
// An average is not associative, so Map emits partial results {sum, count}, Reduce adds them up
// (giving the same shape back, so it can be re-reduced), and Finalize divides once at the end.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "aviary/aviary.h"

namespace {

using aviary::DocumentBuilder;
using aviary::Value;
using aviary::ValueView;

Value Partial(double sum, int64_t count) {
  return DocumentBuilder().Append("sum", sum).Append("count", count).Finish();
}

// Reads {sum, count} back; a missing field reads as 0.
void ReadPartial(ValueView partial, double* sum, int64_t* count) {
  const aviary::DocumentView doc = partial.as_document();
  *sum = doc.Get("sum").value_or(ValueView()).as_double();
  *count = doc.Get("count").value_or(ValueView()).as_int();
}

class Average : public aviary::Job {
 public:
  bool Setup(const aviary::Params& params, std::string* error) override {
    key_field_ = params.Get("key", "key");
    value_field_ = params.Get("value", "value");
    if (key_field_.empty() || value_field_.empty()) {
      *error = "--param key=FIELD and --param value=FIELD must not be empty";
      return false;
    }
    return true;
  }

  void Map(const aviary::Record& record, aviary::MapContext& ctx) override {
    ValueView key;
    double number = 0;
    const bool ok = record.document() ? FromDocument(*record.document(), &key, &number)
                                      : FromText(record.text(), &key, &number);
    if (!ok) {
      ctx.Count("records without a key and a number", 1);
      return;
    }
    ctx.Emit(key, Partial(number, 1));
  }

  Value Reduce(ValueView /*key*/, const aviary::Values& partials) override {
    double total = 0;
    int64_t count = 0;
    for (ValueView partial : partials) {
      double s;
      int64_t n;
      ReadPartial(partial, &s, &n);
      total += s;
      count += n;
    }
    return Partial(total, count);
  }

  bool has_finalize() const override { return true; }
  Value Finalize(ValueView /*key*/, ValueView reduced) override {
    double sum;
    int64_t count;
    ReadPartial(reduced, &sum, &count);
    return count > 0 ? Value::Double(sum / static_cast<double>(count)) : Value::Null();
  }

 private:
  bool FromDocument(const aviary::DocumentView& doc, ValueView* key, double* number) const {
    const auto k = doc.GetPath(key_field_);
    const auto v = doc.GetPath(value_field_);
    if (!k || !v || !v->is_number()) return false;
    *key = *k;
    *number = v->as_double();
    return true;
  }

  static bool FromText(std::string_view line, ValueView* key, double* number) {
    const size_t key_end = line.find_first_of(" \t");
    const size_t value_start = line.find_last_of(" \t");
    if (key_end == 0 || key_end == std::string_view::npos) return false;
    const std::string_view value = line.substr(value_start + 1);
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), *number);
    if (error != std::errc() || end != value.data() + value.size()) return false;
    *key = ValueView::String(line.substr(0, key_end));
    return true;
  }

  std::string key_field_;
  std::string value_field_;
};

}  // namespace

AVIARY_PLUGIN(Average, "average", "mean of a numeric field per key (--param key=FIELD --param value=FIELD)")
