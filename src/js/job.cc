#include "js/job.h"

#include <bson/bson.h>
#include <js/Array.h>
#include <js/GCAPI.h>
#include <js/PropertyAndElement.h>
#include <js/ValueArray.h>

#include <charconv>
#include <utility>
#include <exception>
#include <stdexcept>

#include "js/bag.h"
#include "js/bson.h"
#include "js/from_bson.h"
#include "js/utf8.h"

namespace aviary::js {
namespace {

// A key or _id for messages, shaped like the shell prints it.
std::string Describe(ValueView v) {
  switch (v.type()) {
    case Type::kString: {
      std::string s(v.as_string().substr(0, 200));
      return "\"" + s + "\"";
    }
    case Type::kInt32: case Type::kInt64: return std::to_string(v.as_int());
    case Type::kDouble: {
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof buf, v.as_double());
      return std::string(buf, r.ptr);
    }
    case Type::kObjectId: return "ObjectId(\"" + Hex(v.data(), v.size()) + "\")";
    case Type::kNull: return "null";
    case Type::kBool: return v.as_bool() ? "true" : "false";
    default: return std::string("a ") + TypeName(v.type());
  }
}

std::string WhereDocument(const Record& record) {
  const DocumentView* doc = record.document();
  if (doc == nullptr) return "";
  const std::optional<ValueView> id = doc->Get("_id");
  return id ? " on document _id: " + Describe(*id) : " on a document without _id";
}

bool ParseLimit(const Params& params, std::string_view name, int64_t fallback, int64_t* out, std::string* error) {
  const std::string_view text = params.Get(name);
  if (text.empty()) {
    *out = fallback;
    return true;
  }
  const auto r = std::from_chars(text.data(), text.data() + text.size(), *out);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || *out <= 0) {
    *error = "--param " + std::string(name) + " must be a positive integer, got '" + std::string(text) + "'";
    return false;
  }
  return true;
}

ValueView ViewOf(uint8_t type, const std::string& bytes) {
  return ValueView(static_cast<Type>(type), bytes.data(), bytes.size());
}

}  // namespace

JavascriptJob::~JavascriptJob() {
  // Roots go before the context they live in.
  map_.reset();
  reduce_.reset();
  finalize_.reset();
  rt_.reset();
}

// A limit is not the function's own error: LimitExceeded keeps the attempt's full retry budget.
void JavascriptJob::Fail(std::string message) {
  if (rt_ && rt_->limit_hit()) throw LimitExceeded(std::move(message));
  throw std::runtime_error(std::move(message));
}

bool JavascriptJob::Setup(const Params& params, std::string* error) {
  try {
    return SetupOrFail(params, error);
  } catch (const std::exception& e) {
    *error = std::string("javascript job setup: ") + e.what();
  }
  return false;
}

namespace {

// A boolean --param: "true"/"1" or "false"/"0" (absent: false).
bool ParseFlag(const Params& params, std::string_view name, bool* out, std::string* error) {
  const std::string_view text = params.Get(name);
  if (text.empty() || text == "false" || text == "0") return true;
  if (text == "true" || text == "1") return *out = true;
  *error = "--param " + std::string(name) + " must be true or false, not '" + std::string(text) + "'";
  return false;
}

}  // namespace

bool JavascriptJob::SetupOrFail(const Params& params, std::string* error) {
  Limits limits;
  int64_t memory_mb = 0;
  if (!ParseLimit(params, "call_timeout_ms", limits.call_ms, &limits.call_ms, error) ||
      !ParseLimit(params, "memory_mb", static_cast<int64_t>(limits.memory_bytes >> 20), &memory_mb, error)) {
    return false;
  }
  limits.memory_bytes = static_cast<uint64_t>(memory_mb) << 20;
  const std::string_view map = params.Get("map"), reduce = params.Get("reduce");
  if (map.empty() || reduce.empty()) {
    *error = "the javascript job needs --param map='function () {...}' and --param reduce='function (key, values) {...}'";
    return false;
  }
  rt_ = Runtime::Create(limits, error);
  if (!rt_) return false;
  JSContext* cx = rt_->cx();
  map_ = std::make_unique<JS::PersistentRootedValue>(cx);
  reduce_ = std::make_unique<JS::PersistentRootedValue>(cx);
  finalize_ = std::make_unique<JS::PersistentRootedValue>(cx);
  emit_encoder_ = std::make_unique<BsonEncoder>(cx);
  result_encoder_ = std::make_unique<BsonEncoder>(cx);
  if (!InstallScope(params.Get("scope"), error)) return false;
  if (!rt_->CompileFunction("map", map, map_.get(), error) ||
      !rt_->CompileFunction("reduce", reduce, reduce_.get(), error)) {
    return false;
  }
  sum_ = RecogniseSumReduce(reduce);
  if (!ParseFlag(params, "reduce_single", &reduce_single_, error)) return false;
  const std::string_view finalize = params.Get("finalize");
  return finalize.empty() || rt_->CompileFunction("finalize", finalize, finalize_.get(), error);
}

bool JavascriptJob::InstallScope(std::string_view json, std::string* error) {
  if (json.empty()) return true;
  bson_t doc;
  bson_error_t err;
  if (!bson_init_from_json(&doc, json.data(), static_cast<ssize_t>(json.size()), &err)) {
    *error = std::string("--param scope must be a JSON object: ") + err.message;
    return false;
  }
  JSContext* cx = rt_->cx();
  JS::RootedValue scope(cx);
  const bool converted = ValueToJs(cx, bson::kDocument, reinterpret_cast<const char*>(bson_get_data(&doc)), doc.len,
                                   &scope);
  bson_destroy(&doc);
  // Each variable becomes a global: copied from the lazy document, field by field.
  JS::RootedObject fields(cx, converted ? &scope.toObject() : nullptr);
  JS::Rooted<JS::IdVector> ids(cx, JS::IdVector(cx));
  bool ok = fields && JS_Enumerate(cx, fields, &ids);
  JS::RootedId id(cx);
  JS::RootedValue v(cx);
  for (size_t i = 0; ok && i < ids.length(); ++i) {
    id = ids[i];
    ok = JS_GetPropertyById(cx, fields, id, &v) && JS_DefinePropertyById(cx, rt_->global(), id, v, JSPROP_ENUMERATE);
  }
  if (!ok) *error = "--param scope: " + rt_->TakeError("scope");
  return ok;
}

bool JavascriptJob::MakeThis(const Record& record, JS::MutableHandleValue self) {
  JSContext* cx = rt_->cx();
  if (const DocumentView* doc = record.document()) {
    JS::RootedString owner(cx, NewByteString(cx, doc->data(), doc->size()));
    JSObject* obj = owner ? NewLazyDocument(cx, owner, 0, doc->size()) : nullptr;
    if (!obj) return false;
    self.setObject(*obj);
    return true;
  }
  JS::RootedObject obj(cx, JS_NewPlainObject(cx));
  JS::RootedString text(cx, obj ? NewUtf8String(cx, record.text()) : nullptr);
  if (!text || !JS_DefineProperty(cx, obj, "text", text, JSPROP_ENUMERATE)) return false;
  self.setObject(*obj);
  return true;
}

void JavascriptJob::Map(const Record& record, MapContext& ctx) {
  if (!rt_) Fail("javascript job: Setup() did not succeed");
  JSContext* cx = rt_->cx();
  JS::RootedValue self(cx), rval(cx);
  if (!MakeThis(record, &self)) Fail("map: could not convert the document: " + rt_->TakeError("map"));
  ctx_ = &ctx;
  failure_.clear();
  rt_->set_emitter(this);
  std::string error;
  const bool ok = rt_->Call("map", *map_, self, JS::HandleValueArray::empty(), &rval, &error);
  rt_->set_emitter(nullptr);
  ctx_ = nullptr;
  if (!ok) Fail("map function " + error + WhereDocument(record));
  // mapReduce's counts.emit and counts.reduce (the combiner's calls happen inside emit).
  if (emits_ != 0) ctx.Count("emit", std::exchange(emits_, 0));
  if (reduce_calls_ != 0) ctx.Count("reduce", std::exchange(reduce_calls_, 0));
}

bool JavascriptJob::Emit(JSContext* cx, JS::HandleValue key, JS::HandleValue value) {
  uint8_t key_type, value_type;
  if (!emit_encoder_->EncodeValue(key, &key_type, &key_bytes_)) return false;
  uint8_t unreadable = emit_encoder_->unreadable_type();
  if (unreadable == 0) {
    if (!emit_encoder_->EncodeValue(value, &value_type, &value_bytes_)) return false;
    unreadable = emit_encoder_->unreadable_type();
  }
  if (unreadable != 0) {
    JS_ReportErrorASCII(cx, "emit(): BSON type 0x%02x cannot be emitted: the engine's value types do not include it",
                        unreadable);
    return false;
  }
  ctx_->Emit(ViewOf(key_type, key_bytes_), ViewOf(value_type, value_bytes_));
  ++emits_;
  if (!failure_.empty()) {  // reduce, run as the combiner inside this emit, failed
    rt_->Abort(failure_);
    return false;
  }
  return true;
}

Value JavascriptJob::Reduce(ValueView key, const Values& values) {
  if (!rt_) Fail("javascript job: Setup() did not succeed");
  // A pure-sum reduce over numbers: add them here, as the function would, without a bag.
  if (sum_ != SumReduce::kNone && values.size() == 2 && values[0].type() == Type::kDouble &&
      values[1].type() == Type::kDouble) {
    const double a = values[0].as_double(), b = values[1].as_double();
    return Value::Double(sum_ == SumReduce::kFromZero ? (0.0 + a) + b : a + b);
  }
  // The combiner's usual call: {bag so far, one new value}.
  if (values.size() == 2 && IsBag(values[0]) && !IsBag(values[1]) && BagSize(values[0]) + 1 < kBagMaxValues &&
      values[0].size() + values[1].size() < kBagMaxBytes) {
    return AppendToBag(values[0], values[1]);
  }
  flat_.clear();
  size_t bytes = 0;
  for (ValueView v : values) {
    ExpandBag(v, &flat_);
    bytes += v.size();
  }
  if (flat_.size() < kBagMaxValues && bytes < kBagMaxBytes) return MakeBag(flat_);
  return CallReduce(key, flat_);
}

Value JavascriptJob::Finalize(ValueView key, ValueView reduced) {
  if (!rt_) Fail("javascript job: Setup() did not succeed");
  std::vector<ValueView> flat;
  ExpandBag(reduced, &flat);
  // MongoDB 4.4+ reduces a key's single value too; before, and by default here, it is kept.
  Value result = flat.size() == 1 && !reduce_single_ ? Value(flat[0]) : CallReduce(key, flat);
  if (finalize_->isUndefined()) return result;
  return CallFinalize(key, result);
}

bool JavascriptJob::NativeSum(const std::vector<ValueView>& values, double* sum) const {
  if (sum_ == SumReduce::kNone || values.empty()) return false;
  for (ValueView v : values) {
    if (v.type() != Type::kDouble) return false;
  }
  double s = sum_ == SumReduce::kFromZero ? 0.0 + values[0].as_double() : values[0].as_double();
  for (size_t i = 1; i < values.size(); ++i) s += values[i].as_double();
  *sum = s;
  return true;
}

Value JavascriptJob::CallReduce(ValueView key, const std::vector<ValueView>& values) {
  if (double sum; NativeSum(values, &sum)) return Value::Double(sum);
  ++reduce_calls_;  // counts.reduce: calls of the JavaScript function
  JSContext* cx = rt_->cx();
  JS::RootedValueArray<2> args(cx);
  JS::RootedValueVector items(cx);
  JS::RootedValue v(cx), rval(cx);
  bool ok = ValueToJs(cx, static_cast<uint8_t>(key.type()), key.data(), key.size(), args[0]);
  for (size_t i = 0; ok && i < values.size(); ++i) {
    const ValueView x = values[i];
    ok = ValueToJs(cx, static_cast<uint8_t>(x.type()), x.data(), x.size(), &v) && items.append(v);
  }
  JSObject* array = ok ? JS::NewArrayObject(cx, items) : nullptr;
  if (!array) {
    failure_ = "reduce: could not convert the values: " + rt_->TakeError("reduce") + " for key " + Describe(key);
    Fail(failure_);
  }
  args[1].setObject(*array);
  std::string error;
  JS::RootedValue self(cx);
  if (!rt_->Call("reduce", *reduce_, self, args, &rval, &error)) {
    failure_ = "reduce function " + error + " for key " + Describe(key);
    Fail(failure_);
  }
  return Encode("reduce", rval, key);
}

Value JavascriptJob::CallFinalize(ValueView key, ValueView value) {
  JSContext* cx = rt_->cx();
  JS::RootedValueArray<2> args(cx);
  JS::RootedValue rval(cx), self(cx);
  if (!ValueToJs(cx, static_cast<uint8_t>(key.type()), key.data(), key.size(), args[0]) ||
      !ValueToJs(cx, static_cast<uint8_t>(value.type()), value.data(), value.size(), args[1])) {
    Fail("finalize: could not convert the value: " + rt_->TakeError("finalize") + " for key " + Describe(key));
  }
  std::string error;
  if (!rt_->Call("finalize", *finalize_, self, args, &rval, &error)) {
    Fail("finalize function " + error + " for key " + Describe(key));
  }
  return Encode("finalize", rval, key);
}

Value JavascriptJob::Encode(std::string_view name, JS::HandleValue v, ValueView key) {
  uint8_t type;
  if (!result_encoder_->EncodeValue(v, &type, &result_bytes_)) {
    failure_ = std::string(name) + " function returned a value that cannot be stored: " + rt_->TakeError(name) +
               " for key " + Describe(key);
    Fail(failure_);
  }
  if (const uint8_t bad = result_encoder_->unreadable_type(); bad != 0) {
    failure_ = std::string(name) + " function returned BSON type " + std::to_string(bad) +
               ", which the engine's value types do not include, for key " + Describe(key);
    Fail(failure_);
  }
  return Value(ViewOf(type, result_bytes_));
}

}  // namespace aviary::js
