#include "js/runtime.h"

#include <js/CallAndConstruct.h>
#include <js/CompilationAndEvaluation.h>
#include <js/Context.h>
#include <js/ErrorReport.h>
#include <js/Exception.h>
#include <js/GCAPI.h>
#include <js/Initialization.h>
#include <js/Interrupt.h>
#include <js/PropertyAndElement.h>
#include <js/SourceText.h>
#include <js/Stack.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "js/natives.h"
#include "js/watchdog.h"

namespace aviary::js {
namespace {

constexpr size_t kNativeStackQuota = 1 << 20;  // "too much recursion" well before the C stack ends
thread_local bool tls_has_runtime = false;
std::atomic<int> live_runtimes{0};

// SpiderMonkey's static destructors crash if its helper threads still run at exit, so shut it
// down first (atexit handlers registered after a library loaded run before its destructors).
// A context still alive at exit (an exit() mid-task) makes shutting down unsafe: skip it then.
void ShutDownAtExit() {
  if (live_runtimes.load() == 0) JS_ShutDown();
}

const JSClass kGlobalClass = {"global", JSCLASS_GLOBAL_FLAGS, &JS::DefaultGlobalClassOps, nullptr, nullptr, nullptr};

bool InitOnce() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    ok = JS_Init();
    if (ok) std::atexit(ShutDownAtExit);
  });
  return ok;
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The process's resident memory: SpiderMonkey keeps array elements, long strings and buffers
// outside its GC heap (in malloc), which JSGC_MAX_BYTES does not bound. Resident memory counts
// them whatever the allocator (glibc's, or a sanitizer's).
uint64_t ResidentBytes() {
  uint64_t pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%lu %lu", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

bool InterruptCallback(JSContext* cx) {
  Runtime* rt = RuntimeOf(cx);
  return rt == nullptr || rt->OnInterrupt();
}

std::string Megabytes(uint64_t bytes) { return std::to_string(bytes >> 20) + " MB"; }

}  // namespace

Runtime* RuntimeOf(JSContext* cx) { return static_cast<Runtime*>(JS_GetContextPrivate(cx)); }

Runtime::Runtime(JSContext* cx, const Limits& limits) : cx_(cx), limits_(limits) {}

std::unique_ptr<Runtime> Runtime::Create(const Limits& limits, std::string* error) {
  if (tls_has_runtime) {
    *error = "a JavaScript context already exists on this thread";
    return nullptr;
  }
  if (!InitOnce()) {
    *error = "SpiderMonkey failed to initialise (JS_Init)";
    return nullptr;
  }
  JSContext* cx = JS_NewContext(static_cast<uint32_t>(std::min<uint64_t>(limits.memory_bytes, 0xFFFFFFFFu)));
  if (cx == nullptr) {
    *error = "SpiderMonkey could not create a context (JS_NewContext)";
    return nullptr;
  }
  std::unique_ptr<Runtime> rt(new Runtime(cx, limits));
  tls_has_runtime = true;
  ++live_runtimes;
  if (!rt->Init(error)) return nullptr;
  return rt;
}

bool Runtime::Init(std::string* error) {
  JS_SetNativeStackQuota(cx_, kNativeStackQuota);
  JS_SetGCParameter(cx_, JSGC_MAX_BYTES, static_cast<uint32_t>(std::min<uint64_t>(limits_.memory_bytes, 0xFFFFFFFFu)));
  if (!JS::InitSelfHostedCode(cx_)) {
    *error = "SpiderMonkey could not load its self-hosted code";
    return false;
  }
  JS_SetContextPrivate(cx_, this);
  JS::RealmOptions options;
  global_.init(cx_, JS_NewGlobalObject(cx_, &kGlobalClass, nullptr, JS::FireOnNewGlobalHook, options));
  if (!global_) {
    *error = "SpiderMonkey could not create a global object";
    return false;
  }
  realm_ = std::make_unique<JSAutoRealm>(cx_, global_);
  if (!JS::InitRealmStandardClasses(cx_) || !InstallNatives(cx_, global_)) {
    *error = "could not install the standard classes and helpers";
    return false;
  }
  JS::RootedValue ignored(cx_);
  if (!Evaluate("prelude", kPrelude, &ignored, error)) {
    *error = "the helper prelude failed: " + *error;
    return false;
  }
  for (int k = 0; k < kKinds; ++k) {
    protos_[k].init(cx_);
    if (!LookUpProto(cx_, global_, static_cast<Kind>(k), &protos_[k])) {
      *error = "the helper prelude did not define every shell type";
      return false;
    }
  }
  JS_AddInterruptCallback(cx_, InterruptCallback);
  const int tick = static_cast<int>(std::clamp<int64_t>(limits_.call_ms / 10, 1, 50));
  watchdog_ = std::make_unique<Watchdog>(cx_, tick);
  return true;
}

Runtime::~Runtime() {
  watchdog_.reset();  // no interrupt requests for a context being destroyed
  for (auto& p : protos_) p.reset();
  global_.reset();
  realm_.reset();
  JS_DestroyContext(cx_);
  tls_has_runtime = false;
  --live_runtimes;
}

bool Runtime::Evaluate(std::string_view name, std::string_view source, JS::MutableHandleValue result,
                       std::string* error) {
  const std::string file(name);
  JS::CompileOptions options(cx_);
  options.setFileAndLine(file.c_str(), 1);
  JS::SourceText<mozilla::Utf8Unit> text;
  if (!text.init(cx_, source.data(), source.size(), JS::SourceOwnership::Borrowed) ||
      !JS::Evaluate(cx_, options, text, result)) {
    *error = DescribeFailure(name);
    return false;
  }
  return true;
}

bool Runtime::CompileFunction(std::string_view name, std::string_view source, JS::MutableHandleValue fn,
                              std::string* error) {
  // Parenthesised, so "function () {...}" is an expression; the newline keeps a trailing
  // line comment from swallowing the ')'. Line numbers stay those of the user's source.
  const std::string wrapped = "(" + std::string(source) + "\n)";
  std::string why;
  if (!Evaluate(name, wrapped, fn, &why)) {
    *error = std::string(name) + " function does not compile: " + why;
    return false;
  }
  if (!fn.isObject() || !JS::IsCallable(&fn.toObject())) {
    *error = std::string(name) + " is not a function: give its source, such as \"function () { ... }\"";
    return false;
  }
  return true;
}

void Runtime::CheckHeapBetweenCalls() {
  const uint64_t limit = limits_.memory_bytes;
  if (JS_GetGCParameter(cx_, JSGC_BYTES) < limit / 10 * 9) return;
  JS_GC(cx_);
  if (JS_GetGCParameter(cx_, JSGC_BYTES) >= limit / 4 * 3) {
    abort_ = "ran out of memory (limit " + Megabytes(limit) + ")";
    limit_hit_ = true;
  }
}

bool Runtime::Call(std::string_view name, JS::HandleValue fn, JS::HandleValue self, const JS::HandleValueArray& args,
                   JS::MutableHandleValue rval, std::string* error) {
  const bool outer = depth_ == 0;
  if (outer) {
    abort_.clear();
    limit_hit_ = false;
    // Values kept across calls (a global that grows per document) never meet the watchdog:
    // look at the heap every few hundred calls instead of thrashing the GC at its ceiling.
    if ((++calls_ & 255) == 0) CheckHeapBetweenCalls();
    if (!abort_.empty()) {
      *error = abort_;
      return false;
    }
    watchdog_->Enter();
  }
  ++depth_;
  const bool ok = JS::Call(cx_, self, fn, args, rval);
  --depth_;
  if (outer) watchdog_->Exit();
  if (ok && (!outer || abort_.empty())) return true;
  *error = DescribeFailure(name);
  return false;
}

void Runtime::Abort(std::string reason) {
  if (abort_.empty()) abort_ = std::move(reason);
}

bool Runtime::OnInterrupt() {
  if (depth_ == 0) return true;
  const uint64_t seq = watchdog_->seq();
  const int64_t now = NowMicros();
  if (seq != measured_seq_) {  // the first poke of this call: it has run for at least a tick
    measured_seq_ = seq;
    first_poke_us_ = now;
    resident_base_ = ResidentBytes();
  }
  const int64_t elapsed_ms = (now - first_poke_us_) / 1000 + watchdog_->tick_ms();
  if (elapsed_ms >= limits_.call_ms) {
    abort_ = "exceeded " + std::to_string(limits_.call_ms) + " ms";
    limit_hit_ = true;
    return false;
  }
  const uint64_t limit = limits_.memory_bytes;
  bool over = ResidentBytes() > resident_base_ + limit;
  if (!over && JS_GetGCParameter(cx_, JSGC_BYTES) >= limit / 10 * 9) {
    JS_GC(cx_);
    over = JS_GetGCParameter(cx_, JSGC_BYTES) >= limit / 4 * 3;
  }
  if (over) {
    abort_ = "ran out of memory (limit " + Megabytes(limit) + ")";
    limit_hit_ = true;
    return false;
  }
  return true;
}

std::string Runtime::DescribeFailure(std::string_view name) {
  if (!abort_.empty()) {
    JS_ClearPendingException(cx_);
    return abort_;
  }
  if (!JS_IsExceptionPending(cx_)) return "was terminated";
  JS::ExceptionStack stack(cx_);
  if (!JS::StealPendingExceptionStack(cx_, &stack)) return "threw an exception that could not be read";
  JS::RootedValue exception(cx_, stack.exception());
  if (exception.isString()) {
    bool oom = false;
    if (JS_StringEqualsLiteral(cx_, exception.toString(), "out of memory", &oom) && oom) {
      limit_hit_ = true;
      return "ran out of memory (limit " + Megabytes(limits_.memory_bytes) + ")";
    }
  }
  JS::ErrorReportBuilder report(cx_);
  if (!report.init(cx_, stack, JS::ErrorReportBuilder::NoSideEffects)) {
    JS_ClearPendingException(cx_);
    return "threw an exception that could not be described";
  }
  std::string text = std::string("threw ") + (report.toStringResult() ? report.toStringResult().c_str() : "?");
  const JSErrorReport* r = report.report();
  if (r != nullptr && r->lineno > 0) {
    text += " (" + std::string(r->filename ? r->filename : name) + " line " + std::to_string(r->lineno) + ")";
  }
  return text;
}

}  // namespace aviary::js
