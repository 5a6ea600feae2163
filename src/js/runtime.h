// One SpiderMonkey context with its global, the shell helpers that mapReduce code uses, and the
// limits that keep a runaway function from taking the task process down with it.
//
// SpiderMonkey is initialised once per process (JS_Init, never shut down: the plugin is built
// with -z nodelete, so the engine stays mapped for its helper threads). A Runtime owns one
// JSContext, which SpiderMonkey binds to the creating thread: create, use and destroy it on one
// thread, and keep at most one Runtime per thread alive at a time.
//
// Limits: each outermost Call() is watched by a thread that wakes every tick; a call still
// running on the next tick gets the interrupt callback, which measures it and ends it (an
// uncatchable termination) past the time limit, or when the GC heap, or the resident memory the
// call grew, exceeds the memory limit.
#ifndef AVIARY_JS_RUNTIME_H_
#define AVIARY_JS_RUNTIME_H_

#include <jsapi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace aviary::js {

struct Limits {
  int64_t call_ms = 60'000;          // wall time of one map/reduce/finalize call
  uint64_t memory_bytes = 1ull << 30;  // GC heap, and resident memory grown within one call
};

// The MongoDB shell types that have no JavaScript counterpart; each is a JSClass of its own so
// conversion recognises an instance by its class alone.
enum class Kind { kNumberLong, kNumberInt, kObjectId, kBinData, kTimestamp, kMinKey, kMaxKey, kDecimal };
inline constexpr int kKinds = 8;

// Receives map's emit(key, value). Returns false with a pending JS exception (or none, to
// terminate the script) to make emit fail.
class Emitter {
 public:
  virtual ~Emitter() = default;
  virtual bool Emit(JSContext* cx, JS::HandleValue key, JS::HandleValue value) = 0;
};

class Watchdog;

class Runtime {
 public:
  // A context with the helpers installed. Fails (with *error) if this thread already has one.
  static std::unique_ptr<Runtime> Create(const Limits& limits, std::string* error);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  JSContext* cx() const { return cx_; }
  JS::HandleObject global() const { return global_; }
  const Limits& limits() const { return limits_; }

  // Compiles `source` ("function (...) {...}", as MongoDB users write it) into a function.
  // `name` ("map") names it in error messages and stack lines.
  bool CompileFunction(std::string_view name, std::string_view source, JS::MutableHandleValue fn,
                       std::string* error);
  // Runs a script in the global scope (no limits; for setup and tests).
  bool Evaluate(std::string_view name, std::string_view source, JS::MutableHandleValue result, std::string* error);

  // Calls fn with `self` as `this` under the limits. On failure returns false with *error such as
  // "threw Error: boom (map line 3)", "exceeded 1000 ms" or "ran out of memory (limit 64 MB)";
  // no exception stays pending.
  bool Call(std::string_view name, JS::HandleValue fn, JS::HandleValue self, const JS::HandleValueArray& args,
            JS::MutableHandleValue rval, std::string* error);

  // Describes (and clears) the pending exception, e.g. after a failed conversion.
  std::string TakeError(std::string_view name) { return DescribeFailure(name); }

  // Fails the outermost running Call() with `reason` (from inside a native, such as emit).
  void Abort(std::string reason);

  // The last Call() failed on a limit (call_timeout_ms, memory_mb), not on the function's own
  // error: a retry may not repeat it.
  bool limit_hit() const { return limit_hit_; }

  void set_emitter(Emitter* emitter) { emitter_ = emitter; }
  Emitter* emitter() const { return emitter_; }

  // The prototype and class of a shell type (valid after Create).
  JSObject* proto(Kind kind) const { return protos_[static_cast<int>(kind)]; }
  static const JSClass* ClassOf(Kind kind);

  // Called from the interrupt callback; false ends the script.
  bool OnInterrupt();

 private:
  Runtime(JSContext* cx, const Limits& limits);
  bool Init(std::string* error);
  std::string DescribeFailure(std::string_view name);
  void CheckHeapBetweenCalls();

  JSContext* cx_;
  Limits limits_;
  JS::PersistentRootedObject global_;
  JS::PersistentRootedObject protos_[kKinds];
  std::unique_ptr<JSAutoRealm> realm_;
  std::unique_ptr<Watchdog> watchdog_;
  Emitter* emitter_ = nullptr;  // not owned
  int depth_ = 0;               // nesting of Call() (map -> emit -> combiner -> reduce)
  uint64_t calls_ = 0;
  // Measurements of the watched call, on this thread only.
  uint64_t measured_seq_ = 0;
  int64_t first_poke_us_ = 0;
  uint64_t resident_base_ = 0;
  std::string abort_;  // why the current call was ended, if it was
  bool limit_hit_ = false;
};

// The Runtime of a context created by Runtime::Create.
Runtime* RuntimeOf(JSContext* cx);

}  // namespace aviary::js

#endif  // AVIARY_JS_RUNTIME_H_
